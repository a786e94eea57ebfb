"""Simulated Telegram-side state: chats, their current messages, topics, members, files, commands."""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from . import updates as builders
from .errors import bad_request
from .faults import BLOCKED, Fault, FaultInjector
from .models import UploadedFile
from .polling import UpdateQueue

JSONDict = dict[str, Any]
MEDIA_KEYS = ("photo", "document", "voice", "video", "audio", "sticker", "animation", "video_note")
CONTENT_KEYS = (
    "text", "entities", "caption", "caption_entities", "location", "venue", "contact", "dice", "poll",
    *MEDIA_KEYS,
)
DEFAULT_ICON_COLOR = 7322096


@dataclass
class StoredFile:
    """A file the fake knows (uploaded by the bot or seen in an incoming update)."""

    file_id: str
    file_unique_id: str
    data: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None
    kind: str = "document"

    @property
    def file_path(self) -> str:
        """Relative path served under base_file_url, like Telegram's `documents/file_1.pdf`."""
        suffix = "." + self.file_name.rsplit(".", 1)[-1] if self.file_name and "." in self.file_name else ""
        return f"{self.kind}s/{self.file_unique_id}{suffix}"

    def as_file(self) -> JSONDict:
        """Bot API File object (getFile)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class Topic:
    """A forum topic; deleted topics are kept to answer "message thread not found"."""

    message_thread_id: int
    name: str
    icon_color: int = DEFAULT_ICON_COLOR
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def as_forum_topic(self) -> JSONDict:
        """Bot API ForumTopic object."""
        result: JSONDict = {
            "message_thread_id": self.message_thread_id, "name": self.name, "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            result["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return result


@dataclass
class Chat:
    """One chat and its current messages (edits/deletes applied in place)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    messages: dict[int, JSONDict] = field(default_factory=dict)
    next_message_id: int = 1
    topics: dict[int, Topic] = field(default_factory=dict)
    members: dict[int, JSONDict] = field(default_factory=dict)
    pinned_message_id: int | None = None
    deleted_ids: set[int] = field(default_factory=set)

    def as_dict(self) -> JSONDict:
        """Bot API Chat object."""
        result: JSONDict = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                result[key] = value
        if self.is_forum:
            result["is_forum"] = True
        return result

    def allocate_message_id(self) -> int:
        """Per-chat increasing ids shared by user and bot messages, like Telegram."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def store(self, msg: JSONDict) -> None:
        """Keep the current version of a message."""
        self.messages[msg["message_id"]] = msg
        self.next_message_id = max(self.next_message_id, msg["message_id"] + 1)

    def delete(self, message_id: int) -> bool:
        """Remove a message, remembering its id (replies to it must then fail)."""
        self.deleted_ids.add(message_id)
        return self.messages.pop(message_id, None) is not None

    def live_topic(self, thread_id: int) -> Topic | None:
        """The topic if it exists and was not deleted."""
        topic = self.topics.get(thread_id)
        return topic if topic is not None and not topic.deleted else None


def infer_chat(chat_id: int) -> Chat:
    """Chat type from the id shape: >0 private, -100... supergroup, other <0 group."""
    if chat_id > 0:
        return Chat(chat_id, "private", first_name=f"User {chat_id}")
    if str(chat_id).startswith("-100"):
        return Chat(chat_id, "supergroup", title=f"Supergroup {chat_id}")
    return Chat(chat_id, "group", title=f"Group {chat_id}")


class BotState:
    """Everything the fake Telegram remembers for one bot token."""

    def __init__(self, bot_user: JSONDict, faults: FaultInjector) -> None:
        self.bot_user = bot_user
        self.faults = faults
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, JSONDict] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.callback_ids: set[str] = set()
        self.answered_callbacks: set[str] = set()
        self.webhook: JSONDict = {}
        self.updates = UpdateQueue()
        self.media_group_ids = itertools.count(1)
        self._file_counter = itertools.count(1)

    # chats -----------------------------------------------------------------
    def chat(self, chat_id: int) -> Chat:
        """Get or lazily create a chat (any integer id is accepted)."""
        if chat_id not in self.chats:
            chat = infer_chat(chat_id)
            known = self.users.get(chat_id)
            if known and chat.type == "private":
                chat.first_name = known.get("first_name")
                chat.last_name = known.get("last_name")
                chat.username = known.get("username")
            self.chats[chat_id] = chat
        return self.chats[chat_id]

    def resolve_chat_id(self, value: int | str) -> int:
        """Integer ids pass; "@username" must belong to a known chat."""
        if isinstance(value, int):
            return value
        name = value.lstrip("@").lower()
        for chat in self.chats.values():
            if chat.username and chat.username.lower() == name:
                return chat.id
        raise bad_request("chat not found")

    def user(self, user_id: int) -> JSONDict:
        """A known User object, or a placeholder."""
        if user_id == self.bot_user["id"]:
            return dict(self.bot_user)
        return dict(self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"})

    def get_message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """Current version of a message, or None."""
        chat = self.chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    # files -----------------------------------------------------------------
    def add_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        """Keep an uploaded file's bytes and give it a fresh file_id."""
        n = next(self._file_counter)
        stored = StoredFile(
            f"fake-upload-{kind}-{n}", f"up{n}", upload.data, upload.filename, upload.content_type, kind
        )
        self.files[stored.file_id] = stored
        return stored

    def add_file(
        self, file_id: str, data: bytes, *, file_name: str | None = None, kind: str = "document"
    ) -> StoredFile:
        """Register a file_id (e.g. from a hand-made update) so getFile/sendX by id work."""
        n = next(self._file_counter)
        stored = StoredFile(file_id, f"known{n}", data, file_name, None, kind)
        self.files[file_id] = stored
        return stored

    def resolve_file(self, value: UploadedFile | str, kind: str) -> StoredFile:
        """An upload, a known file_id, or an http(s) URL (fetched as placeholder bytes)."""
        if isinstance(value, UploadedFile):
            return self.add_upload(value, kind)
        if value in self.files:
            return self.files[value]
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or "remote"
            return self.add_upload(UploadedFile(kind, name, None, f"fetched {value}".encode()), kind)
        raise bad_request("wrong file identifier/HTTP URL specified")

    # commands --------------------------------------------------------------
    @staticmethod
    def command_key(scope: JSONDict | None, language_code: str | None) -> tuple[str, str]:
        """Commands are stored per (scope, language_code); the default scope is {"type":"default"}."""
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    # incoming updates --------------------------------------------------------
    def observe_update(self, update: JSONDict) -> None:
        """Learn chats/users/messages/files/callback ids from an update the bot is about to get."""
        for key in ("message", "channel_post", "business_message"):
            if isinstance(update.get(key), dict):
                self._observe_message(update[key], new=True)
        for key in ("edited_message", "edited_channel_post"):
            if isinstance(update.get(key), dict):
                self._observe_message(update[key], new=False)
        query = update.get("callback_query")
        if isinstance(query, dict):
            self.callback_ids.add(str(query.get("id")))
            self._observe_user(query.get("from"))
        member = update.get("my_chat_member")
        if isinstance(member, dict):
            self._observe_my_chat_member(member)

    def _observe_user(self, user: Any) -> None:
        if isinstance(user, dict) and isinstance(user.get("id"), int) and not user.get("is_bot"):
            self.users[user["id"]] = dict(user)

    def _observe_message(self, msg: JSONDict, *, new: bool) -> None:
        chat_info = msg.get("chat") or {}
        if not isinstance(chat_info.get("id"), int):
            return
        self._observe_user(msg.get("from"))
        chat = self.chat(chat_info["id"])
        chat.type = chat_info.get("type", chat.type)
        for key in ("title", "username", "first_name", "last_name"):
            if chat_info.get(key):
                setattr(chat, key, chat_info[key])
        if chat_info.get("is_forum"):
            chat.is_forum = True
        thread_id = msg.get("message_thread_id")
        if chat.is_forum and isinstance(thread_id, int) and thread_id not in chat.topics:
            chat.topics[thread_id] = Topic(thread_id, f"Topic {thread_id}")
        message_id = msg.get("message_id")
        if new and message_id in chat.messages and chat.messages[message_id] != msg:
            msg["message_id"] = chat.allocate_message_id()  # id collision with a bot message
        self._observe_files(msg)
        chat.store(copy.deepcopy(msg))

    def _observe_files(self, msg: JSONDict) -> None:
        for key in MEDIA_KEYS:
            value = msg.get(key)
            items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
            for item in items:
                file_id = item.get("file_id")
                if isinstance(file_id, str) and file_id not in self.files:
                    data = f"fake {key} content for {file_id}".encode()
                    self.files[file_id] = StoredFile(
                        file_id, item.get("file_unique_id", file_id), data, item.get("file_name"),
                        item.get("mime_type"), "photo" if key == "photo" else key,
                    )

    def _observe_my_chat_member(self, member: JSONDict) -> None:
        """A private my_chat_member 'kicked' means the user blocked the bot: later sends get 403."""
        chat = member.get("chat") or {}
        status = (member.get("new_chat_member") or {}).get("status")
        if chat.get("type") in ("group", "supergroup") and isinstance(chat.get("id"), int):
            known = self.chat(chat["id"])   # the bot was added to (or left) a group: the group now exists
            known.type = chat["type"]
            known.title = chat.get("title") or known.title
            known.is_forum = bool(chat.get("is_forum")) or known.is_forum
        if chat.get("type") != "private" or not isinstance(chat.get("id"), int):
            return
        self.faults.remove_chat(chat["id"])
        if status == "kicked":
            self.faults.add(Fault(None, 403, BLOCKED, times=None, chat_id=chat["id"]))

    def is_known_callback(self, query_id: str) -> bool:
        """Pushed/posted callbacks and ones built by updates.callback() are answerable."""
        return query_id in self.callback_ids or query_id in builders.issued_callback_ids
