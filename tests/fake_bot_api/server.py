"""FakeBotApi: an aiohttp Telegram Bot API look-alike on 127.0.0.1 for offline end-to-end tests."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from . import faults as fault_presets
from .checks import Content, check_content
from .errors import ApiError
from .faults import Delay, Fault, FaultInjector, default_description
from .limits import FloodLimiter
from .simulator import Context, Simulator
from .models import Call, UploadedFile
from .spec import Spec, guess_json
from .state import BotState, Chat, Topic
from .updates import bot_user

DEFAULT_TOKEN = "123456:TEST-aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"
_LOGGER = logging.getLogger(__name__)
JSONDict = dict[str, Any]


class FakeBotApi:
    """Fake Telegram Bot API server: validates like Telegram, simulates state, records every call."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        strict: bool = True,
        enforce_limits: bool = False,
        global_rate: int = 30,
        per_chat_rate: int = 1,
        group_rate_per_minute: int | None = 20,
        time_scale: float = 1.0,
        bot_username: str = "test_bot",
        clock: Callable[[], float] | None = None,
    ) -> None:
        prefix = token.split(":", 1)[0]
        if ":" not in token or not prefix.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self._token = token
        self._revoked = False
        self.strict = strict
        self.spec = Spec.load()
        self.faults = FaultInjector()
        self.state = BotState(bot_user(int(prefix), bot_username), self.faults)
        self.simulator = Simulator(self.state, self.spec)
        self.limiter: FloodLimiter | None = (
            FloodLimiter(global_rate, per_chat_rate, group_rate_per_minute, time_scale, clock or time.monotonic)
            if enforce_limits else None
        )
        self.calls: list[Call] = []
        self.validation_errors: list[Call] = []
        self.internal_errors: list[BaseException] = []
        self.flood_429s = 0
        self._calls_changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._session: ClientSession | None = None

    # lifecycle -------------------------------------------------------------------
    async def start(self) -> FakeBotApi:
        """Listen on 127.0.0.1 with an ephemeral port."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Release long polls, close the client session and the runner."""
        self.state.updates.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Pass to ApplicationBuilder().base_url(...) / Bot(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to ApplicationBuilder().base_file_url(...) so File.download_* hits the fake."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def token(self) -> str:
        return self._token

    @property
    def bot_user(self) -> JSONDict:
        """The bot's User object (id from the token prefix)."""
        return dict(self.state.bot_user)

    # HTTP ----------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        method = self.spec.canonical(raw_method) or raw_method
        raw: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        params: JSONDict = {}
        result: Any = None
        try:
            try:
                raw, files = await _read_body(request)
            except ConnectionResetError:
                # The client went away before its request arrived whole (a bot killed with SIGKILL, a long poll
                # closed at shutdown): no call was made, so nothing is recorded as one Telegram would refuse.
                return web.Response(status=499)
            params = {k: guess_json(v) for k, v in raw.items()}
            if request.match_info["token"] != self._token or self._revoked:
                raise ApiError(401, "Unauthorized", kind="auth")
            if method not in self.spec.methods:
                raise ApiError(404, "Not Found", kind="not_found")
            params = self.spec.validate(method, raw, files, strict=self.strict)
            content = check_content(method, params)
            result = await self._execute(method, params, files, content)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.payload()
            self._record(method, params, status, None, exc, files)
            return web.json_response(body, status=status)
        except Exception as exc:  # a bug in the fake: answer 500 and keep it visible
            _LOGGER.exception("fake Bot API failed on %s", method)
            self.internal_errors.append(exc)
            error = ApiError(500, f"Internal Server Error: fake Bot API crashed: {exc!r}", kind="state")
            self._record(method, params, 500, None, error, files)
            return web.json_response(error.payload(), status=500)
        self._record(method, params, status, result, None, files)
        return web.json_response(body, status=status)

    async def _execute(self, method: str, params: JSONDict, files: dict[str, UploadedFile], content: Content) -> Any:
        """Delays, injected faults and flood limits come after validation, then the simulation."""
        delay = self.faults.take_delay(method)
        if delay:
            await asyncio.sleep(delay)
        chat_id = _chat_id(params)
        fault = self.faults.take_fault(method, chat_id)
        if fault is not None:
            raise fault.error()
        if self.limiter is not None:
            count = len(params.get("media", [])) if method == "sendMediaGroup" else 1
            retry_after = self.limiter.check(method, chat_id, count)
            if retry_after is not None:
                self.flood_429s += 1
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", kind="flood",
                               retry_after=retry_after)
        return await self.simulator.call(method, params, Context(method, content, files))

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serve bytes for File.download_* (base_file_url)."""
        if request.match_info["token"] != self._token or self._revoked:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        path = request.match_info["path"]
        for stored in self.state.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # recording ----------------------------------------------------------------------
    def _record(
        self, method: str, params: JSONDict, status: int, result: Any, error: ApiError | None,
        files: dict[str, UploadedFile],
    ) -> None:
        call = Call(
            method=method, params=params, time=time.monotonic(), response_status=status, chat_id=_chat_id(params),
            result=copy.deepcopy(result), error=error.description if error else None,
            error_kind=error.kind if error else None, files=files,
        )
        self.calls.append(call)
        if error is not None and error.kind == "validation":
            self.validation_errors.append(call)
        self._calls_changed.set()
        self._calls_changed = asyncio.Event()

    def calls_to(self, method: str, **filters: Any) -> list[Call]:
        """Calls to `method` (case-insensitive) whose params equal every filter (chat_id compared as int)."""
        return [c for c in self.calls if c.method.lower() == method.lower() and _matches(c, filters)]

    async def wait_for(
        self, method: str, predicate: Callable[[Call], bool] | None = None, count: int = 1, timeout: float = 30.0
    ) -> Call:
        """Wait until `count` matching calls exist (old ones count) and return the count-th one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matches = [c for c in self.calls_to(method) if predicate is None or predicate(c)]
            if len(matches) >= count:
                return matches[count - 1]
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(f"  {c.summary()}" for c in self.calls[-15:]) or "  (no calls at all)"
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} call(s) to {method}"
                    f" (got {len(matches)}). Recent calls:\n{recent}"
                )
            event = self._calls_changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def clear_calls(self) -> None:
        """Forget recorded calls and validation errors (state is kept)."""
        self.calls.clear()
        self.validation_errors.clear()

    def assert_no_validation_errors(self) -> None:
        """Fail the test listing every request Telegram would have refused as malformed."""
        problems = self.validation_errors + [c for c in self.calls if c.response_status == 500]
        if problems:
            lines = "\n".join(f"  {c.summary()}" for c in problems)
            raise AssertionError(f"{len(problems)} request(s) Telegram would refuse:\n{lines}")

    # fault injection ----------------------------------------------------------------
    def fail(
        self,
        method: str | None,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
        chat_id: int | str | None = None,
    ) -> Fault:
        """Answer the next `times` matching calls (None = until clear_faults) with this error."""
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or default_description(status, retry_after)
        return self.faults.add(Fault(method, status, text, retry_after, times, chat_id))

    def fail_blocked(self, chat_id: int) -> Fault:
        """403 "bot was blocked by the user" for every call to that chat until unblock()."""
        return self.fail(None, status=403, description=fault_presets.BLOCKED, times=None, chat_id=chat_id)

    def fail_chat_not_found(self, chat_id: int | str, times: int | None = None) -> Fault:
        """400 "chat not found" for calls to that chat (until unblock() by default)."""
        return self.fail(None, status=400, description=fault_presets.CHAT_NOT_FOUND, times=times, chat_id=chat_id)

    def fail_server_error(self, method: str | None = None, *, status: int = 502, times: int = 1) -> Fault:
        """5xx like Telegram's "Bad Gateway" (PTB raises NetworkError)."""
        return self.fail(method, status=status, times=times)

    def unblock(self, chat_id: int | str) -> None:
        """Remove every chat-scoped fault for that chat."""
        self.faults.remove_chat(chat_id)

    def revoke_token(self) -> None:
        """As @BotFather's /revoke: from now on every call with the token gets 401 Unauthorized (getUpdates too)."""
        self._revoked = True

    def delay(self, method: str | None, seconds: float, times: int | None = 1) -> None:
        """Answer the next matching calls only after `seconds` (provokes client timeouts)."""
        self.faults.delays.append(Delay(method, seconds, times))

    def clear_faults(self) -> None:
        """Remove all scripted faults and delays."""
        self.faults.clear()

    def set_result(self, method: str, result: Any) -> None:
        """Override the result of a method (value, or callable(params) -> value)."""
        self.simulator.overrides[self.spec.canonical(method) or method] = result

    # simulated state ------------------------------------------------------------------
    def add_chat(
        self, chat_id: int, *, type: str | None = None, title: str | None = None,  # noqa: A002
        username: str | None = None, is_forum: bool = False,
    ) -> Chat:
        """Register/describe a chat (otherwise chats are inferred from their id)."""
        chat = self.state.chat(chat_id)
        if type:
            chat.type = type
        if title:
            chat.title = title
        if username:
            chat.username = username
        if is_forum:
            chat.is_forum = True
            chat.type = "supergroup"
        return chat

    def add_forum_chat(self, chat_id: int, title: str = "Support") -> Chat:
        """A forum supergroup where createForumTopic works (the bot is admin there)."""
        return self.add_chat(chat_id, type="supergroup", title=title, is_forum=True)

    def add_chat_member(
        self, chat_id: int, user_id: int, status: str = "member", user: JSONDict | None = None, **fields: Any
    ) -> None:
        """Make getChatMember answer `status` (default "left" for unknown users)."""
        if user is not None:
            self.state.users[user_id] = dict(user)
        self.state.chat(chat_id).members[user_id] = {"status": status, **fields}

    def add_file(self, file_id: str, data: bytes, *, file_name: str | None = None, kind: str = "document") -> None:
        """Make a hand-made file_id usable with getFile/sendX."""
        self.state.add_file(file_id, data, file_name=file_name, kind=kind)

    def chat_messages(self, chat_id: int) -> list[JSONDict]:
        """Current messages of a chat in id order (edits applied, deleted ones gone)."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            return []
        return [copy.deepcopy(chat.messages[k]) for k in sorted(chat.messages)]

    def last_message(self, chat_id: int) -> JSONDict | None:
        """The newest current message of a chat."""
        messages = self.chat_messages(chat_id)
        return messages[-1] if messages else None

    def topics(self, chat_id: int) -> list[Topic]:
        """Forum topics of a chat, deleted ones included (see Topic.deleted)."""
        chat = self.state.chats.get(chat_id)
        return list(chat.topics.values()) if chat else []

    def commands(self, scope: JSONDict | None = None, language_code: str | None = None) -> list[JSONDict]:
        """Commands stored by setMyCommands for exactly that scope/language."""
        return copy.deepcopy(self.state.commands.get(self.state.command_key(scope, language_code), []))

    @property
    def webhook(self) -> JSONDict:
        """Current webhook settings ({} when none)."""
        return dict(self.state.webhook)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by an offset."""
        return copy.deepcopy(self.state.updates.pending)

    # incoming updates ------------------------------------------------------------------
    def observe(self, update: JSONDict) -> JSONDict:
        """Learn from an update fed to PTB directly (app.process_update) so replies/copies of it work."""
        self.state.observe_update(update)
        return update

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates (assigns update_id; learns chats/messages/callback ids)."""
        self.state.observe_update(update)
        return self.state.updates.push(update)

    async def webhook_post(self, url: str, update: JSONDict, secret: str | None = None) -> int:
        """POST an update to the bot's webhook with X-Telegram-Bot-Api-Secret-Token; return HTTP status."""
        self.state.observe_update(update)
        if not isinstance(update.get("update_id"), int):
            update["update_id"] = self.state.updates.next_update_id
        self.state.updates.note_external_id(update["update_id"])
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with self._session.post(url, data=json.dumps(update), headers=headers) as response:
            await response.read()
            return response.status


async def _read_body(request: web.Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
    """Query string + JSON / urlencoded / multipart body; file parts are kept separately."""
    raw: JSONDict = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return raw, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON object", kind="validation") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: can't parse JSON object", kind="validation")
        raw.update(body)
        return raw, files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = UploadedFile(name, value.filename, value.content_type, value.file.read())
        else:
            raw[name] = value
    return raw, files


def _chat_id(params: JSONDict) -> int | str | None:
    value = params.get("chat_id")
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value if isinstance(value, (int, str)) else None


def _matches(call: Call, filters: JSONDict) -> bool:
    for key, expected in filters.items():
        actual = call.chat_id if key == "chat_id" else call.params.get(key, _MISSING)
        if actual != expected:
            return False
    return True


_MISSING = object()
