"""Builders for incoming updates in Bot API JSON shape (feed them to server.push_update/webhook_post).

Ids come from module counters so updates are valid on their own (e.g. for Update.de_json);
the server re-assigns update_id and renumbers a message_id that collides with one it knows.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .html_check import utf16_len

BOT_ID = 123456  # matches server.DEFAULT_TOKEN's prefix
_update_ids = itertools.count(1)
_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)
_file_ids = itertools.count(1)
# Callback query ids built here; the fake accepts answerCallbackQuery for these (once each).
issued_callback_ids: set[str] = set()

JSONDict = dict[str, Any]


def _now() -> int:
    return int(time.time())


def user(
    id: int,  # noqa: A002 - mirrors the Bot API field name
    first_name: str = "Ana",
    language_code: str | None = "es",
    username: str | None = None,
    last_name: str | None = None,
) -> JSONDict:
    """A human User object."""
    result: JSONDict = {"id": id, "is_bot": False, "first_name": first_name}
    if last_name:
        result["last_name"] = last_name
    if username:
        result["username"] = username
    if language_code:
        result["language_code"] = language_code
    return result


def bot_user(bot_id: int = BOT_ID, username: str = "test_bot") -> JSONDict:
    """The bot's own User object."""
    return {"id": bot_id, "is_bot": True, "first_name": "Test Bot", "username": username}


def private_chat(u: JSONDict) -> JSONDict:
    """The private Chat between the bot and `u`."""
    chat: JSONDict = {"id": u["id"], "type": "private", "first_name": u.get("first_name", "")}
    for key in ("last_name", "username"):
        if u.get(key):
            chat[key] = u[key]
    return chat


def group_chat(chat_id: int, title: str = "Group", *, is_forum: bool = False) -> JSONDict:
    """A group; ids starting with -100 are supergroups (forums are always supergroups)."""
    kind = "supergroup" if is_forum or str(chat_id).startswith("-100") else "group"
    chat: JSONDict = {"id": chat_id, "type": kind, "title": title}
    if is_forum:
        chat["is_forum"] = True
    return chat


def message(chat: JSONDict, sender: JSONDict | None, message_id: int | None = None, **content: Any) -> JSONDict:
    """A Message with the given content fields."""
    msg: JSONDict = {"message_id": message_id or next(_message_ids), "date": _now(), "chat": chat}
    if sender is not None:
        msg["from"] = sender
    msg.update({k: v for k, v in content.items() if v is not None})
    return msg


def update(kind: str, payload: JSONDict) -> JSONDict:
    """Wrap a payload into an Update."""
    return {"update_id": next(_update_ids), kind: payload}


def private_text(u: JSONDict, text: str, message_id: int | None = None) -> JSONDict:
    """A user writes `text` to the bot."""
    return update("message", message(private_chat(u), u, message_id, text=text))


def command(u: JSONDict, cmd: str = "/start", args: str | list[str] | None = None) -> JSONDict:
    """A /command (with its bot_command entity) in the private chat."""
    cmd = cmd if cmd.startswith("/") else f"/{cmd}"
    arg_text = " ".join(args) if isinstance(args, list) else args
    text = f"{cmd} {arg_text}" if arg_text else cmd
    entity = {"type": "bot_command", "offset": 0, "length": utf16_len(cmd)}
    return update("message", message(private_chat(u), u, text=text, entities=[entity]))


def callback(u: JSONDict, msg: JSONDict, data: str) -> JSONDict:
    """The user presses an inline button with `data` under `msg` (a message dict the bot sent)."""
    query_id = f"cbq-{next(_callback_ids)}-{u['id']}"
    issued_callback_ids.add(query_id)
    query: JSONDict = {
        "id": query_id,
        "from": u,
        "message": msg,
        "chat_instance": str(abs(hash(msg["chat"]["id"])) % 10**12),
        "data": data,
    }
    return update("callback_query", query)


def _file(prefix: str) -> JSONDict:
    n = next(_file_ids)
    return {"file_id": f"fake-{prefix}-{n}", "file_unique_id": f"u{prefix}{n}", "file_size": 1024}


def photo(u: JSONDict, caption: str | None = None) -> JSONDict:
    """The user sends a photo (two sizes, like Telegram)."""
    small, big = _file("photo"), _file("photo")
    sizes = [{**small, "width": 90, "height": 90}, {**big, "width": 800, "height": 800}]
    return update("message", message(private_chat(u), u, photo=sizes, caption=caption))


def document(
    u: JSONDict, file_name: str = "file.pdf", mime_type: str = "application/pdf", caption: str | None = None
) -> JSONDict:
    """The user sends a document."""
    doc = {**_file("document"), "file_name": file_name, "mime_type": mime_type}
    return update("message", message(private_chat(u), u, document=doc, caption=caption))


def voice(u: JSONDict, duration: int = 3) -> JSONDict:
    """The user sends a voice note."""
    return update(
        "message",
        message(private_chat(u), u, voice={**_file("voice"), "duration": duration, "mime_type": "audio/ogg"}),
    )


def sticker(u: JSONDict, emoji: str = "👍") -> JSONDict:
    """The user sends a regular sticker."""
    data = {
        **_file("sticker"), "type": "regular", "width": 512, "height": 512,
        "is_animated": False, "is_video": False, "emoji": emoji,
    }
    return update("message", message(private_chat(u), u, sticker=data))


def location(u: JSONDict, latitude: float = 40.4168, longitude: float = -3.7038) -> JSONDict:
    """The user shares a location."""
    return update(
        "message", message(private_chat(u), u, location={"latitude": latitude, "longitude": longitude})
    )


def edited_text(u: JSONDict, message_id: int, text: str) -> JSONDict:
    """The user edits an earlier private message."""
    msg = message(private_chat(u), u, message_id, text=text, edit_date=_now())
    return update("edited_message", msg)


def group_text(
    chat_id: int,
    u: JSONDict,
    text: str,
    title: str = "Group",
    message_id: int | None = None,
    reply_to: JSONDict | None = None,
) -> JSONDict:
    """A user writes in a (super)group."""
    msg = message(group_chat(chat_id, title), u, message_id, text=text, reply_to_message=reply_to)
    return update("message", msg)


def topic_text(
    chat_id: int,
    thread_id: int,
    u: JSONDict,
    text: str,
    reply_to: JSONDict | None = None,
    title: str = "Support",
) -> JSONDict:
    """A user writes inside a forum topic; like Telegram, a non-reply points at the topic's creation."""
    chat = group_chat(chat_id, title, is_forum=True)
    if reply_to is None:
        reply_to = message(
            chat, u, thread_id, message_thread_id=thread_id, is_topic_message=True,
            forum_topic_created={"name": f"Topic {thread_id}", "icon_color": 7322096},
        )
    msg = message(
        chat, u, text=text, message_thread_id=thread_id, is_topic_message=True, reply_to_message=reply_to
    )
    return update("message", msg)


def my_chat_member_blocked(u: JSONDict, bot_id: int = BOT_ID) -> JSONDict:
    """The user blocks the bot (private chat status member -> kicked)."""
    bot = bot_user(bot_id)
    payload = {
        "chat": private_chat(u),
        "from": u,
        "date": _now(),
        "old_chat_member": {"user": bot, "status": "member"},
        "new_chat_member": {"user": bot, "status": "kicked", "until_date": 0},
    }
    return update("my_chat_member", payload)


def my_chat_member_added(chat: JSONDict, by: JSONDict, status: str = "member", bot_id: int = BOT_ID) -> JSONDict:
    """Someone adds the bot to a group (`chat` from group_chat()): status left -> member (or administrator)."""
    bot = bot_user(bot_id)
    new: JSONDict = {"user": bot, "status": status}
    if status == "administrator":
        new.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                   can_manage_video_chats=False, can_restrict_members=True, can_promote_members=False,
                   can_change_info=True, can_invite_users=True, can_post_stories=False, can_edit_stories=False,
                   can_delete_stories=False, can_manage_topics=True)
    payload = {"chat": chat, "from": by, "date": _now(), "old_chat_member": {"user": bot, "status": "left"},
               "new_chat_member": new}
    return update("my_chat_member", payload)
