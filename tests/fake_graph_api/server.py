"""FakeGraphApi: an aiohttp WhatsApp Cloud (Graph) API look-alike on 127.0.0.1 for offline end-to-end tests."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from . import errors as E
from . import webhooks as W
from .checks import Lookup, check_message
from .errors import GraphError
from .faults import Delay, Fault, FaultInjector
from .limits import SlidingLimit, window_open
from .media import RULES, URL_TTL, MediaStore, base_mime, check_upload, is_animated_webp
from .models import Call, Delivery, SentMessage, StoredMedia, UploadedFile, WaUser

DEFAULT_TOKEN = "EAAFakeGraphToken0123456789"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_APP_SECRET = "fake-app-secret"
DEFAULT_DISPLAY_NUMBER = "5213300000000"
DEFAULT_WABA_ID = "102290129340398"
BSUID_RE = re.compile(r"^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$")
_VERSION_RE = re.compile(r"^v(\d+)\.0$")
_LOGGER = logging.getLogger(__name__)
JSONDict = dict[str, Any]
_DEFAULT = object()


class FakeGraphApi:
    """Fake WhatsApp Cloud API: refuses what Meta refuses, keeps the 24 h window, records calls, sends webhooks."""

    def __init__(
        self,
        access_token: str = DEFAULT_TOKEN,
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        api_version: str = "v23.0",
        *,
        display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
        waba_id: str = DEFAULT_WABA_ID,
        webhook_url: str | None = None,
        pair_rate: tuple[int, float] | None = (45, 6.0),
        throughput: tuple[int, float] | None = (80, 1.0),
        time_scale: float = 1.0,
        latency: float = 0.0,
        window_errors: str = "sync",
        auto_statuses: tuple[str, ...] = (),
    ) -> None:
        if not _VERSION_RE.match(api_version):
            raise ValueError("api_version must look like 'v23.0'")
        if window_errors not in ("sync", "status"):
            raise ValueError("window_errors is 'sync' (400 on the send) or 'status' (200, then a failed status)")
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.api_version = api_version
        self.business = W.Business(waba_id, phone_number_id, display_phone_number)
        self.webhook_url = webhook_url
        self.latency = latency
        self.window_errors = window_errors
        self.auto_statuses = auto_statuses
        self.pair_limit = SlidingLimit(*pair_rate, time_scale) if pair_rate else None
        self.throughput_limit = SlidingLimit(*throughput, time_scale) if throughput else None
        self.faults = FaultInjector()
        self.media = MediaStore()
        self.users: list[WaUser] = []
        self.templates: dict[tuple[str, str], str] = {}
        self.sent: list[SentMessage] = []
        self.inbound_ids: set[str] = set()
        self.read_marks: list[str] = []
        self.typing_marks: list[str] = []     # read marks that also asked for the typing indicator
        self.pauses: list[tuple[str, str, float]] = []   # (endpoint, kind, seconds) of each latency or delay
        self.calls: list[Call] = []
        self.validation_errors: list[Call] = []
        self.internal_errors: list[BaseException] = []
        self.deliveries: list[Delivery] = []
        self.clock_offset = 0.0
        self._urls: dict[str, tuple[str, float]] = {}
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._session: ClientSession | None = None

    # lifecycle -------------------------------------------------------------------------------------------
    async def start(self) -> FakeGraphApi:
        """Listen on 127.0.0.1 with an ephemeral port."""
        app = web.Application(client_max_size=110 * 1024 * 1024)
        app.router.add_get("/_media/{media_id}/{token}", self._handle_download)
        app.router.add_route("*", "/{version}/{node}/{edge}", self._handle_edge)
        app.router.add_route("*", "/{version}/{node}", self._handle_node)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Finish pending status webhooks, close the client session and the runner."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGraphApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeGraphApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """WHATSAPP_API_BASE_URL for the bot (it appends /v<major>.0/...)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.api_version}/{self.phone_number_id}/messages"

    # the fake clock (window, media expiry) -----------------------------------------------------------------
    def now(self) -> float:
        """Unix time as the fake sees it (real time + `advance`d seconds)."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake clock forward (close windows, expire media and download URLs)."""
        self.clock_offset += seconds

    # setup ---------------------------------------------------------------------------------------------------
    def user(self, wa_id: str | None = None, name: str = "Ana", user_id: str | None = None, *,
             parent_user_id: str | None = None, username: str | None = None) -> WaUser:
        """A user (registered once per id); give `user_id` alone for a BSUID-only user."""
        if not wa_id and not user_id:
            raise ValueError("a user needs a wa_id, a user_id (BSUID) or both")
        if user_id and not BSUID_RE.match(user_id):
            raise ValueError(f"{user_id!r} does not look like a BSUID (CC.<digits>)")
        existing = self.find_user(wa_id=wa_id, user_id=user_id)
        if existing is not None:
            return existing
        found = WaUser(wa_id, name, user_id, parent_user_id, username)
        self.users.append(found)
        return found

    def find_user(self, *, wa_id: str | None = None, user_id: str | None = None) -> WaUser | None:
        for known in self.users:
            if (wa_id and known.wa_id == wa_id) or (user_id and known.user_id == user_id):
                return known
        return None

    def add_template(self, name: str, language: str, body: str) -> None:
        """An approved template; `body` uses {{1}}, {{2}} placeholders (unknown templates get 132001)."""
        self.templates[(name, language)] = body

    def add_media(self, data: bytes, mime: str, *, inbound: bool = True, filename: str | None = None) -> str:
        """Register media (as Meta holds it for an inbound message by default); returns its id."""
        kind = check_upload(data, mime) if not inbound else _kind_for(mime)
        return self.media.add(data, mime, kind, self.now(), inbound=inbound, filename=filename).media_id

    def open_window(self, user: WaUser, *, ago: float = 0.0) -> None:
        """Pretend the user wrote `ago` seconds ago, without a webhook."""
        user.last_inbound = self.now() - ago

    def window_open(self, user: WaUser) -> bool:
        return window_open(user.last_inbound, self.now())

    # HTTP ----------------------------------------------------------------------------------------------------
    async def _handle_edge(self, request: web.Request) -> web.StreamResponse:
        edge = request.match_info["edge"]
        endpoint = {"messages": "messages", "media": "media_upload"}.get(edge, "unknown")
        return await self._serve(request, endpoint)

    async def _handle_node(self, request: web.Request) -> web.StreamResponse:
        endpoint = {"GET": "media_info", "DELETE": "media_delete"}.get(request.method, "unknown")
        return await self._serve(request, endpoint)

    async def _handle_unknown(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "unknown")

    async def _serve(self, request: web.Request, endpoint: str) -> web.StreamResponse:
        """Auth → path → body validation → delays and faults → window and limits → simulation; all recorded."""
        call = Call(endpoint, endpoint, request.method, request.path, None, time.monotonic(), 0)
        try:
            self._check_auth(request)
            self._check_path(request, endpoint)
            result = await {
                "messages": self._messages, "media_upload": self._upload,
                "media_info": self._media_info, "media_delete": self._media_delete,
            }[endpoint](request, call)
            call.response_status = 200
            call.result = copy.deepcopy(result)
            response = web.json_response(result)
        except GraphError as exc:
            call.response_status, call.error_code, call.error, call.error_kind = (
                exc.status, exc.code, exc.summary(), exc.kind)
            response = web.json_response(exc.payload(), status=exc.status)
        except Exception as exc:  # a bug in the fake: answer 500 and keep it visible
            _LOGGER.exception("fake Graph API failed on %s", request.path)
            self.internal_errors.append(exc)
            error = GraphError(500, E.UNKNOWN_ERROR, f"fake Graph API crashed: {exc!r}", kind="internal")
            call.response_status, call.error_code, call.error, call.error_kind = 500, error.code, repr(exc), "internal"
            response = web.json_response(error.payload(), status=500)
        self._record(call)
        return response

    def _check_auth(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:].strip() != self.access_token:
            message = ("An active access token must be used to query information about the current user."
                       if not header else "Invalid OAuth access token - Cannot parse access token")
            raise GraphError(401, E.ACCESS_TOKEN, None, kind="auth", message=message)

    def _check_path(self, request: web.Request, endpoint: str) -> None:
        version = request.match_info.get("version", "")
        match = _VERSION_RE.match(version)
        if endpoint == "unknown" or match is None:
            raise GraphError(400, E.UNKNOWN_PATH, f"Unknown path components: {request.path}",
                             message=f"Unknown path components: {request.path}")
        if int(match.group(1)) < int(_VERSION_RE.match(self.api_version).group(1)):
            raise GraphError(400, E.DEPRECATED_VERSION, f"{version} is deprecated; use {self.api_version}",
                             message=f"(#2635) You are calling a deprecated version of the Graph API ({version}).")
        if endpoint in ("messages", "media_upload") and request.method != "POST":
            raise GraphError(400, E.UNKNOWN_PATH, f"Unsupported {request.method} request.")
        node = request.match_info["node"]
        if endpoint in ("messages", "media_upload") and node != self.phone_number_id:
            raise _no_object(node, request.method)

    async def _pause(self, endpoint: str, kind: str) -> None:
        seconds = self.latency + self.faults.take_delay(endpoint, kind)
        if seconds:
            self.pauses.append((endpoint, kind, seconds))
            await asyncio.sleep(seconds)

    # POST /messages --------------------------------------------------------------------------------------------
    async def _messages(self, request: web.Request, call: Call) -> JSONDict:
        try:
            body = await request.json()
        except ValueError:
            raise GraphError(400, E.INVALID_PARAMETER, "The request body is not valid JSON.") from None
        call.body = body
        kind = check_message(body, Lookup(self._usable_media, self._template))
        call.kind = kind
        if kind == "read":
            return await self._mark_read(body, call)
        user, field = self._recipient(body)
        call.recipient = user.key
        await self._pause("messages", kind)
        fault = self.faults.take_fault("messages", kind, user.key)
        if fault is not None and not fault.via_status:
            raise fault.error()
        async_failure: GraphError | None = fault.error() if fault is not None else None
        if kind != "template" and not self.window_open(user):
            error = GraphError(400, E.RE_ENGAGEMENT, kind="window")
            if self.window_errors == "sync":
                raise error
            async_failure = async_failure or error
        if self.throughput_limit is not None and not self.throughput_limit.allows("*"):
            raise GraphError(429, E.THROUGHPUT, kind="rate")
        if self.pair_limit is not None and not self.pair_limit.allows(user.key):
            raise GraphError(400, E.PAIR_RATE_LIMIT, kind="rate")
        for limit, key in ((self.throughput_limit, "*"), (self.pair_limit, user.key)):
            if limit is not None:
                limit.record(key)
        wamid = W.new_wamid()
        dropped = field == "to" and BSUID_RE.match(str(body["to"])) is not None
        if dropped:  # Meta answers 200 with a wamid and silently drops it (chatwoot base_service.rb)
            call.error = "BSUID in `to`: Meta returns 200 and silently drops the message; use `recipient`"
            call.error_kind = "validation"
        else:
            self.sent.append(SentMessage(wamid, user.key, copy.deepcopy(body), self.now()))
            if async_failure is not None:
                self._later(self.send_status(wamid, "failed", errors=[async_failure.as_status_error()]))
            else:
                for status in self.auto_statuses:
                    self._later(self.send_status(wamid, status))
        contact = {"input": str(body.get(field)), **({"wa_id": user.wa_id} if field == "to" and user.wa_id else {}),
                   **({"user_id": user.user_id} if field == "recipient" else {})}
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]}

    def _recipient(self, body: JSONDict) -> tuple[WaUser, str]:
        has_to, has_recipient = "to" in body, "recipient" in body
        if has_to and has_recipient:
            raise GraphError(400, E.INVALID_PARAMETER, "Only one of to or recipient may be set.")
        if not has_to and not has_recipient:
            raise E.missing("to")
        field = "to" if has_to else "recipient"
        value = body[field]
        if not isinstance(value, str) or not value.strip():
            raise GraphError(400, E.INVALID_PARAMETER, f"Param {field} must be a non-empty string.")
        if field == "recipient":
            if not BSUID_RE.match(value):
                raise GraphError(400, E.INVALID_PARAMETER, "Param recipient must be a business-scoped user id.")
            user = self.find_user(user_id=value)
            return user or self.user(user_id=value, name=""), field
        if BSUID_RE.match(value):
            return self.find_user(user_id=value) or self.user(user_id=value, name=""), field
        digits = value.lstrip("+")
        if not digits.isdigit():
            raise GraphError(400, E.INVALID_PARAMETER, f"Param to must be a phone number - got {value!r}.")
        return self.find_user(wa_id=digits) or self.user(wa_id=digits, name=""), field

    async def _mark_read(self, body: JSONDict, call: Call) -> JSONDict:
        message_id = body["message_id"]
        if message_id not in self.inbound_ids:
            raise GraphError(400, E.INVALID_PARAMETER, f"Message with id {message_id} was not received by this"
                             " phone number.")
        await self._pause("messages", "read")
        fault = self.faults.take_fault("messages", "read", None)
        if fault is not None:
            raise fault.error()
        self.read_marks.append(message_id)
        if body.get("typing_indicator") is not None:   # Meta shows it until the reply, for 25 s at most
            self.typing_marks.append(message_id)
        return {"success": True}

    def _usable_media(self, media_id: str) -> StoredMedia | None:
        return self.media.get(media_id, self.now())

    def _template(self, name: str, language: str) -> str | None:
        return self.templates.get((name, language))

    # media -----------------------------------------------------------------------------------------------------
    async def _upload(self, request: web.Request, call: Call) -> JSONDict:
        if not request.content_type.startswith("multipart/"):
            raise GraphError(400, E.INVALID_PARAMETER, "Media upload needs a multipart/form-data body.")
        form = await request.post()
        fields: JSONDict = {}
        for name, value in form.items():
            if isinstance(value, web.FileField):
                call.files[name] = UploadedFile(name, value.filename, value.content_type, value.file.read())
            else:
                fields[name] = value
        call.body = fields
        if fields.get("messaging_product") != "whatsapp":
            raise GraphError(400, E.INVALID_PARAMETER, "The parameter messaging_product is required.")
        if "file" not in call.files:
            raise E.missing("file")
        mime = fields.get("type") or call.files["file"].content_type
        if not mime:
            raise E.missing("type")
        upload = call.files["file"]
        kind = check_upload(upload.data, mime)
        call.kind = f"upload_{kind}"
        await self._pause("media_upload", call.kind)
        fault = self.faults.take_fault("media_upload", call.kind, None)
        if fault is not None:
            raise fault.error()
        stored = self.media.add(upload.data, base_mime(mime) if kind != "audio" else mime, kind, self.now(),
                                inbound=False, filename=upload.filename)
        return {"id": stored.media_id}

    async def _media_info(self, request: web.Request, call: Call) -> JSONDict:
        media = self._existing_media(request)
        await self._pause("media_info", "media_info")
        fault = self.faults.take_fault("media_info", "media_info", None)
        if fault is not None:
            raise fault.error()
        token = secrets.token_urlsafe(12)
        self._urls[token] = (media.media_id, self.now() + URL_TTL)
        return {"messaging_product": "whatsapp", "url": f"{self.base_url}/_media/{media.media_id}/{token}",
                "mime_type": media.mime_type, "sha256": media.sha256, "file_size": len(media.data),
                "id": media.media_id}

    async def _media_delete(self, request: web.Request, call: Call) -> JSONDict:
        self._existing_media(request).deleted = True
        return {"success": True}

    def _existing_media(self, request: web.Request) -> StoredMedia:
        node = request.match_info["node"]
        media = self.media.get(node, self.now())
        if media is None:
            raise _no_object(node, request.method)
        return media

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        """The short-lived URL from GET /{media_id}: Bearer token required, valid 5 minutes."""
        media_id, token = request.match_info["media_id"], request.match_info["token"]
        call = Call("media_download", "media_download", "GET", request.path, None, time.monotonic(), 0)
        try:
            self._check_auth(request)
            await self._pause("media_download", "media_download")
            fault = self.faults.take_fault("media_download", "media_download", None)
            if fault is not None:
                raise fault.error()
            known = self._urls.get(token)
            media = self.media.get(media_id, self.now())
            if known is None or known[0] != media_id or self.now() >= known[1] or media is None:
                raise GraphError(404, E.INVALID_PARAMETER, "The media URL has expired or is unknown.", kind="state")
        except GraphError as exc:
            call.response_status, call.error_code, call.error, call.error_kind = (
                exc.status, exc.code, exc.summary(), exc.kind)
            self._record(call)
            return web.json_response(exc.payload(), status=exc.status)
        call.response_status = 200
        self._record(call)
        return web.Response(body=media.data, content_type=base_mime(media.mime_type))

    # recording -------------------------------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if call.error_kind == "validation":
            self.validation_errors.append(call)
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def calls_to(self, kind: str | None = None, **filters: Any) -> list[Call]:
        """Calls whose endpoint or kind is `kind` (None = all); filters compare Call attributes (e.g. ok=True)."""
        return [c for c in self.calls if (kind is None or kind in (c.endpoint, c.kind))
                and all(getattr(c, k) == v for k, v in filters.items())]

    async def wait_for(self, kind: str | None, predicate: Callable[[Call], bool] | None = None, count: int = 1,
                       timeout: float = 30.0) -> Call:
        """Wait until `count` matching calls exist (earlier ones count) and return the count-th."""
        return await self._wait(lambda: [c for c in self.calls_to(kind) if predicate is None or predicate(c)],
                                count, timeout, f"call(s) to {kind}", lambda: [c.summary() for c in self.calls])

    async def wait_for_delivery(self, predicate: Callable[[Delivery], bool] | None = None, count: int = 1,
                                timeout: float = 30.0) -> Delivery:
        """Wait for webhook deliveries (e.g. the background `failed` status of an async failure)."""
        return await self._wait(lambda: [d for d in self.deliveries if predicate is None or predicate(d)],
                                count, timeout, "webhook deliveries",
                                lambda: [json.dumps(d.payload)[:150] for d in self.deliveries])

    async def _wait(self, matches: Callable[[], list[Any]], count: int, timeout: float, what: str,
                    recent: Callable[[], list[str]]) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = matches()
            if len(found) >= count:
                return found[count - 1]
            remaining = deadline - loop.time()
            if remaining <= 0:
                lines = "\n".join(f"  {line}" for line in recent()[-15:]) or "  (none at all)"
                raise AssertionError(f"timed out after {timeout}s waiting for {count} {what}"
                                     f" (got {len(found)}). Recent:\n{lines}")
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def messages_to(self, user: WaUser | str) -> list[SentMessage]:
        """What the user has received, in order (accepted sends only; silently dropped ones are not there)."""
        key = user.key if isinstance(user, WaUser) else user
        return [m for m in self.sent if m.recipient == key]

    def sent_message(self, wamid: str) -> SentMessage | None:
        return next((m for m in self.sent if m.wamid == wamid), None)

    def clear_calls(self) -> None:
        """Forget recorded calls and validation errors (users, windows, media and sent messages are kept)."""
        self.calls.clear()
        self.validation_errors.clear()

    def assert_no_validation_errors(self) -> None:
        """Fail listing every request Meta would refuse or silently drop, and any crash of the fake."""
        problems = [c.summary() for c in self.validation_errors]
        problems += [c.summary() for c in self.calls if c.response_status == 500 and c.error_kind == "internal"]
        if problems:
            lines = "\n".join(f"  {p}" for p in problems)
            raise AssertionError(f"{len(problems)} request(s) the Cloud API would refuse or drop:\n{lines}")

    # fault injection -------------------------------------------------------------------------------------------
    def fail(self, path_or_kind: str | None, *, status: int = 400, code: int = E.UNKNOWN_ERROR,
             details: str | None = None, times: int | None = 1, recipient: WaUser | str | None = None,
             via_status: bool = False) -> Fault:
        """Answer the next `times` matching calls with this error (None = until clear_faults).

        `path_or_kind`: an endpoint (messages, media_upload, media_info, media_download), a message kind (text,
        interactive, template, image, read, ...), or None/"*" for all. `via_status=True` accepts the send (200 +
        wamid) and reports the error later as a `failed` status webhook, as Meta does for many codes.
        """
        key = recipient.key if isinstance(recipient, WaUser) else recipient
        fault = Fault(path_or_kind, status, code, details, times, key, via_status)
        self.faults.faults.append(fault)
        return fault

    def fail_server_error(self, path_or_kind: str | None = None, *, status: int = 500, times: int = 1) -> Fault:
        """A 5xx (code 1 / 2 style "temporarily unavailable")."""
        return self.fail(path_or_kind, status=status, code=E.SERVICE_UNAVAILABLE, times=times)

    def delay(self, path_or_kind: str | None, seconds: float, times: int | None = 1) -> None:
        """Answer matching calls only after `seconds` (provokes client timeouts)."""
        self.faults.delays.append(Delay(path_or_kind, seconds, times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset_limits(self) -> None:
        """Forget the pair-rate and throughput history."""
        for limit in (self.pair_limit, self.throughput_limit):
            if limit is not None:
                limit.reset()

    # webhooks to the bot ---------------------------------------------------------------------------------------
    def _later(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stamp(self, timestamp: float | None) -> int:
        return int(self.now() if timestamp is None else timestamp)

    async def _inbound(self, user: WaUser, message: JSONDict, *, contacts: bool = True,
                       opens_window: bool = True) -> Delivery:
        """Record an inbound message (its window and wamid) and POST it signed."""
        self.inbound_ids.add(message["id"])
        if opens_window:
            user.last_inbound = max(user.last_inbound or 0.0, float(message["timestamp"]))
        return await self.send_raw(self.business.message(user, message, contacts=contacts),
                                   message_id=message["id"])

    async def send_text(self, user: WaUser, text: str, *, timestamp: float | None = None,
                        reply_to: str | None = None) -> Delivery:
        context = {"from": self.business.display_phone_number, "id": reply_to} if reply_to else None
        return await self._inbound(user, W.text(W.new_wamid(), self._stamp(timestamp), text, context))

    async def send_button_reply(self, user: WaUser, button_id: str, title: str | None = None, *,
                                context: str | None = None, timestamp: float | None = None) -> Delivery:
        """A tap on a reply button the bot sent (title and context found from what the user received)."""
        message, title = self._offering(user, button_id, context, title)
        ctx = {"from": self.business.display_phone_number, "id": message.wamid if message else context}
        return await self._inbound(user, W.button_reply(W.new_wamid(), self._stamp(timestamp), button_id, title, ctx))

    async def send_list_reply(self, user: WaUser, row_id: str, title: str | None = None,
                              description: str | None = None, *, context: str | None = None,
                              timestamp: float | None = None) -> Delivery:
        """A tap on a list row the bot sent (title/description found from what the user received)."""
        message, title = self._offering(user, row_id, context, title)
        if description is None and message is not None:
            description = _row(message, row_id).get("description")
        ctx = {"from": self.business.display_phone_number, "id": message.wamid if message else context}
        return await self._inbound(
            user, W.list_reply(W.new_wamid(), self._stamp(timestamp), row_id, title, description, ctx))

    def _offering(self, user: WaUser, choice_id: str, context: str | None,
                  title: str | None) -> tuple[SentMessage | None, str]:
        """The newest interactive message to `user` offering `choice_id` (or the one named by `context`)."""
        candidates = [m for m in self.messages_to(user) if choice_id in m.choice_ids
                      and (context is None or m.wamid == context)]
        message = candidates[-1] if candidates else None
        if title is None:
            if message is None:
                raise ValueError(f"{user.key} was never offered {choice_id!r}; pass title= to send it anyway")
            title = _choice_title(message, choice_id)
        return message, title

    async def send_media(self, user: WaUser, kind: str, data: bytes, mime: str, *, caption: str | None = None,
                         filename: str | None = None, voice: bool = False, timestamp: float | None = None,
                         ) -> Delivery:
        """A photo, voice note, video, document or sticker; the media id is registered for GET /{media_id}."""
        stored = self.media.add(data, mime, kind, self.now(), inbound=True, filename=filename)
        message = W.media(W.new_wamid(), self._stamp(timestamp), kind, stored.media_id, mime, stored.sha256,
                          caption=caption, filename=filename, voice=voice,
                          animated=kind == "sticker" and is_animated_webp(data))
        return await self._inbound(user, message)

    async def send_sticker(self, user: WaUser, data: bytes = b"RIFF\x10\x00\x00\x00WEBPVP8 static",
                           **kwargs: Any) -> Delivery:
        return await self.send_media(user, "sticker", data, "image/webp", **kwargs)

    async def send_location(self, user: WaUser, latitude: float = 20.6736, longitude: float = -103.3440, *,
                            name: str | None = None, address: str | None = None,
                            timestamp: float | None = None) -> Delivery:
        return await self._inbound(
            user, W.location(W.new_wamid(), self._stamp(timestamp), latitude, longitude, name, address))

    async def send_reaction(self, user: WaUser, message_id: str, emoji: str = "👍", *,
                            timestamp: float | None = None) -> Delivery:
        return await self._inbound(user, W.reaction(W.new_wamid(), self._stamp(timestamp), message_id, emoji))

    async def send_unsupported(self, user: WaUser, unsupported_type: str = "poll_creation", *,
                               timestamp: float | None = None) -> Delivery:
        return await self._inbound(user, W.unsupported(W.new_wamid(), self._stamp(timestamp), unsupported_type))

    async def send_system_changed_number(self, user: WaUser, new_wa_id: str, *,
                                         new_user_id: str | None | object = _DEFAULT,
                                         timestamp: float | None = None) -> Delivery:
        """The user moved to a new phone number; Meta regenerates their BSUID too. The user object is updated."""
        old_wa_id, old_user_id = user.wa_id, user.user_id
        if new_user_id is _DEFAULT:
            new_user_id = _next_bsuid(old_user_id) if old_user_id else None
        part: JSONDict = {"body": f"User {user.name} changed from {old_wa_id} to {new_wa_id}", "wa_id": new_wa_id,
                          "type": "user_changed_number"}
        if new_user_id:
            part["user_id"] = new_user_id
        if old_user_id:
            part["previous_user_id"] = old_user_id
        message = W.system(W.new_wamid(), self._stamp(timestamp), part)
        delivery = await self._inbound(user, message, contacts=False, opens_window=False)
        user.wa_id, user.user_id = new_wa_id, new_user_id  # type: ignore[assignment]
        return delivery

    async def send_system_changed_user_id(self, user: WaUser, new_user_id: str, *,
                                          timestamp: float | None = None) -> Delivery:
        """The user's business-scoped id changed (no phone change). The user object is updated."""
        part = {"body": f"User {user.name} changed their user id", "type": "user_changed_user_id",
                "user_id": new_user_id, "previous_user_id": user.user_id}
        message = W.system(W.new_wamid(), self._stamp(timestamp), part)
        delivery = await self._inbound(user, message, contacts=False, opens_window=False)
        user.user_id = new_user_id
        return delivery

    async def send_status(self, wamid: str, status: str, errors: list[int | JSONDict] | None = None, *,
                          timestamp: float | None = None) -> Delivery:
        """A sent / delivered / read / failed status for a message the fake accepted."""
        message = self.sent_message(wamid)
        user = None
        if message is not None:
            user = self.find_user(user_id=message.recipient) or self.find_user(wa_id=message.recipient)
            message.statuses.append(status)
        if status == "failed" and not errors:
            errors = [E.UNKNOWN_ERROR]
        items = [GraphError(400, e, kind="state").as_status_error() if isinstance(e, int) else e
                 for e in errors or []]
        return await self.send_raw(self.business.status(wamid, status, self._stamp(timestamp), user, items))

    async def send_template_status(self, name: str, language: str, event: str, *, reason: str | None = None,
                                   other_info: JSONDict | None = None) -> Delivery:
        """Meta's message_template_status_update webhook (APPROVED, REJECTED, PAUSED, DISABLED, FLAGGED, ...)."""
        template_id = 1000 + sorted(self.templates).index((name, language)) if (name, language) in self.templates \
            else 999
        return await self.send_raw(self.business.template_status(template_id, name, language, event,
                                                                 int(self.now()), reason, other_info))

    async def send_template_quality(self, name: str, language: str, previous: str, new: str) -> Delivery:
        """Meta's message_template_quality_update webhook (GREEN, YELLOW, RED, UNKNOWN)."""
        return await self.send_raw(self.business.template_quality(999, name, language, previous, new,
                                                                  int(self.now())))

    async def send_raw(self, payload: JSONDict | bytes, *, signature: str | None | object = _DEFAULT,
                       message_id: str | None = None) -> Delivery:
        """POST exactly this body; signed with the app secret unless `signature` is given (None = no header)."""
        if self.webhook_url is None:
            raise RuntimeError("set fake.webhook_url before sending webhooks")
        raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        header = W.sign(self.app_secret, raw) if signature is _DEFAULT else signature
        parsed = _parse(raw) if isinstance(payload, bytes) else payload
        return await self._post(raw, header, parsed, message_id)

    async def redeliver(self, delivery: Delivery) -> Delivery:
        """The same webhook again, byte for byte (Meta delivers at least once)."""
        return await self._post(delivery.raw, delivery.signature, delivery.payload, delivery.message_id)

    async def send_twice(self, user: WaUser, text: str) -> tuple[Delivery, Delivery]:
        """A text delivered twice (duplicate delivery)."""
        first = await self.send_text(user, text)
        return first, await self.redeliver(first)

    async def _post(self, raw: bytes, signature: str | None, payload: JSONDict,
                    message_id: str | None) -> Delivery:
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        async with self._session.post(self.webhook_url, data=raw, headers=headers) as response:
            text = await response.text()
            delivery = Delivery(payload, raw, signature, response.status, text, message_id)
        self.deliveries.append(delivery)
        self._notify()
        return delivery


def _no_object(node: str, method: str) -> GraphError:
    verb = {"GET": "get", "DELETE": "delete"}.get(method, "post")
    return GraphError(400, E.INVALID_PARAMETER, None, kind="state", type_="GraphMethodException", subcode=33,
                      message=f"Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be loaded"
                              " due to missing permissions, or does not support this operation.")


def _kind_for(mime: str) -> str:
    rule = RULES.get(base_mime(mime))
    return rule.kind if rule else "document"


def _parse(raw: bytes) -> JSONDict:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _next_bsuid(old: str) -> str:
    country = old.split(".", 1)[0]
    return f"{country}.{secrets.randbelow(10**15) + 10**15}"


def _row(message: SentMessage, row_id: str) -> JSONDict:
    for section in message.body.get("interactive", {}).get("action", {}).get("sections") or []:
        for row in section.get("rows") or []:
            if row.get("id") == row_id:
                return row
    return {}


def _choice_title(message: SentMessage, choice_id: str) -> str:
    for button in message.body.get("interactive", {}).get("action", {}).get("buttons") or []:
        if button["reply"]["id"] == choice_id:
            return button["reply"]["title"]
    return _row(message, choice_id).get("title", choice_id)
