"""Simulator core: handler registry, message building and edit helpers shared by messages.py/chats.py."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .checks import Content
from .errors import bad_request, invalid
from .html_check import FormattedText
from .models import UploadedFile
from .spec import Spec
from .state import CONTENT_KEYS, BotState, Chat

JSONDict = dict[str, Any]
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


@dataclass
class Context:
    """Per-call extras a handler may need besides params."""

    method: str
    content: Content
    files: dict[str, UploadedFile] = field(default_factory=dict)


Handler = Callable[["Simulator", JSONDict, Context], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register a coroutine as the simulation of one or more methods."""

    def register(func: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = func
        return func

    return register


def formatted(prefix: str, ft: FormattedText | None) -> JSONDict:
    """{"text": ..., "entities": [...]} (or caption/caption_entities), omitting empty parts."""
    if ft is None or not ft.text:
        return {}
    key = "text" if prefix == "text" else "caption"
    result: JSONDict = {key: ft.text}
    if ft.entities:
        result["entities" if prefix == "text" else "caption_entities"] = ft.entities
    return result


def inline_markup(params: JSONDict) -> JSONDict | None:
    """Only inline keyboards are echoed back in Message.reply_markup."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def shallow(msg: JSONDict) -> JSONDict:
    """A message as nested in reply_to_message (no further nesting)."""
    return {k: copy.deepcopy(v) for k, v in msg.items() if k != "reply_to_message"}


class Simulator:
    """Executes validated calls against the state."""

    def __init__(self, state: BotState, spec: Spec) -> None:
        self.state = state
        self.spec = spec
        self.overrides: dict[str, Any] = {}
        self.poll_ids = itertools.count(1)
        _load_handlers()

    async def call(self, method: str, params: JSONDict, ctx: Context) -> Any:
        """Dispatch to an override, a simulation, or the generic default."""
        if method in self.overrides:
            override = self.overrides[method]
            return override(params) if callable(override) else copy.deepcopy(override)
        handler = HANDLERS.get(method)
        if handler is not None:
            return await handler(self, params, ctx)
        return self.generic(method, params)

    # helpers -----------------------------------------------------------------
    @property
    def bot(self) -> JSONDict:
        return self.state.bot_user

    def chat(self, params: JSONDict, key: str = "chat_id") -> Chat:
        return self.state.chat(self.state.resolve_chat_id(params[key]))

    def check_thread(self, chat: Chat, thread_id: int | None) -> None:
        """In forums the thread must exist and not be deleted."""
        if thread_id is not None and chat.is_forum and chat.live_topic(thread_id) is None:
            raise bad_request("message thread not found")

    def new_message(self, chat: Chat, params: JSONDict, content: JSONDict) -> JSONDict:
        """Build (and keep) a message the bot sends into `chat`."""
        reply_to = self._reply_target(chat, params)
        thread_id = params.get("message_thread_id")
        if thread_id is None and reply_to is not None and reply_to.get("is_topic_message"):
            thread_id = reply_to.get("message_thread_id")
        self.check_thread(chat, thread_id)
        msg: JSONDict = {
            "message_id": chat.allocate_message_id(),
            "from": dict(self.bot),
            "chat": chat.as_dict(),
            "date": int(time.time()),
        }
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            if chat.is_forum:
                msg["is_topic_message"] = True
        if reply_to is not None:
            msg["reply_to_message"] = shallow(reply_to)
        msg.update(content)
        markup = inline_markup(params)
        if markup:
            msg["reply_markup"] = markup
        if params.get("protect_content"):
            msg["has_protected_content"] = True
        chat.store(msg)
        return copy.deepcopy(msg)

    def _reply_target(self, chat: Chat, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict) or "message_id" not in reply:
            return None
        target_chat = self.state.resolve_chat_id(reply.get("chat_id", chat.id))
        target = self.state.get_message(target_chat, reply["message_id"])
        known_chat = self.state.chats.get(target_chat)
        deleted = known_chat is not None and reply["message_id"] in known_chat.deleted_ids
        if target is None and deleted and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return target  # never-seen ids are tolerated: the test may have bypassed the fake

    def media_object(self, kind: str, value: UploadedFile | str, params: JSONDict) -> Any:
        """The Bot API media object for an upload/file_id (PhotoSize list for photos)."""
        stored = self.state.resolve_file(value, kind)
        base: JSONDict = {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data),
        }
        duration = params.get("duration", 1)
        if kind == "photo":
            return [{**base, "width": 90, "height": 90}, {**base, "width": 1280, "height": 1280}]
        if kind == "document":
            mime_type = stored.mime_type or "application/octet-stream"
            return {**base, "file_name": stored.file_name or "document", "mime_type": mime_type}
        if kind == "voice":
            return {**base, "duration": duration, "mime_type": "audio/ogg"}
        if kind in ("video", "animation"):
            size = {"width": params.get("width", 640), "height": params.get("height", 480)}
            return {**base, **size, "duration": duration}
        if kind == "audio":
            extra = {k: params[k] for k in ("title", "performer") if k in params}
            return {**base, "duration": duration, **extra}
        if kind == "sticker":
            return {**base, "type": "regular", "width": 512, "height": 512, "is_animated": False,
                    "is_video": False, "emoji": params.get("emoji", "🙂")}
        if kind == "video_note":
            return {**base, "length": params.get("length", 240), "duration": duration}
        return base

    def edit_target(self, params: JSONDict) -> tuple[Chat, JSONDict] | None:
        """The bot's own message to edit, or None for inline messages."""
        if params.get("inline_message_id"):
            return None
        if params.get("chat_id") is None or params.get("message_id") is None:
            raise invalid("message identifier is not specified")
        chat = self.chat(params)
        msg = chat.messages.get(params["message_id"])
        if msg is None:
            raise bad_request("message to edit not found")
        if (msg.get("from") or {}).get("id") != self.bot["id"]:
            raise bad_request("message can't be edited")
        return chat, msg

    def apply_edit(self, msg: JSONDict, changes: JSONDict, drop: tuple[str, ...], params: JSONDict) -> JSONDict:
        """Refuse no-op edits like Telegram, else update the stored message in place."""
        markup = inline_markup(params)
        candidate = {k: v for k, v in msg.items() if k not in drop and k != "reply_markup"}
        candidate.update(changes)
        if markup:
            candidate["reply_markup"] = markup
        if {k: v for k, v in candidate.items() if k != "edit_date"} == {
            k: v for k, v in msg.items() if k != "edit_date"
        }:
            raise bad_request(NOT_MODIFIED)
        candidate["edit_date"] = int(time.time())
        msg.clear()
        msg.update(candidate)
        return copy.deepcopy(msg)

    def source_message(self, params: JSONDict, message_id: int, verb: str) -> JSONDict:
        """A message that copy/forward may read."""
        source = self.state.get_message(self.state.resolve_chat_id(params["from_chat_id"]), message_id)
        if source is None:
            raise bad_request(f"message to {verb} not found")
        if not any(key in source for key in CONTENT_KEYS):
            raise bad_request(f"message can't be {'copied' if verb == 'copy' else 'forwarded'}")
        return source

    def generic(self, method: str, params: JSONDict) -> Any:
        """Spec-shaped default for methods without a simulation (True for Boolean, [] for arrays...)."""
        returns = self.spec.methods[method].returns
        first = returns[0] if returns else "Boolean"
        if method.startswith(("edit", "stop")) and first == "Message":
            target = self.edit_target(params)
            return True if target is None else copy.deepcopy(target[1])
        if first == "Message" and "chat_id" in params:
            return self.new_message(self.chat(params), params, {})
        if first == "MessageId" and "chat_id" in params:
            return {"message_id": self.chat(params).allocate_message_id()}
        if first.startswith("Array of"):
            return []
        if first == "Integer":
            return 0
        if first == "String":
            return ""
        return True


def _load_handlers() -> None:
    """Import the handler modules (they register themselves via @handles)."""
    from . import chats, messages  # noqa: F401
