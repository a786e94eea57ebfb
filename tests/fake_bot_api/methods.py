"""Simulated Bot API methods operating on BotState; anything not listed gets a spec-shaped default."""

from __future__ import annotations

import copy
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .checks import Content
from .errors import ApiError, bad_request, invalid
from .html_check import FormattedText
from .models import UploadedFile
from .spec import Spec
from .state import CONTENT_KEYS, MEDIA_KEYS, BotState, Chat, Topic

JSONDict = dict[str, Any]
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
MEDIA_METHODS = {
    "sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice", "sendVideo": "video",
    "sendAudio": "audio", "sendSticker": "sticker", "sendAnimation": "animation", "sendVideoNote": "video_note",
}
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


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


def _formatted(prefix: str, ft: FormattedText | None) -> JSONDict:
    """{"text": ..., "entities": [...]} (or caption/caption_entities), omitting empty parts."""
    if ft is None or not ft.text:
        return {}
    key = "text" if prefix == "text" else "caption"
    result: JSONDict = {key: ft.text}
    if ft.entities:
        result["entities" if prefix == "text" else "caption_entities"] = ft.entities
    return result


def _inline_markup(params: JSONDict) -> JSONDict | None:
    """Only inline keyboards are echoed back in Message.reply_markup."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def _shallow(msg: JSONDict) -> JSONDict:
    """A message as nested in reply_to_message (no further nesting)."""
    return {k: copy.deepcopy(v) for k, v in msg.items() if k != "reply_to_message"}


class Simulator:
    """Executes validated calls against the state."""

    def __init__(self, state: BotState, spec: Spec) -> None:
        self.state = state
        self.spec = spec
        self.overrides: dict[str, Any] = {}
        self._poll_ids = itertools.count(1)

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

    def new_message(self, chat: Chat, params: JSONDict, content: JSONDict, *, store: bool = True) -> JSONDict:
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
            msg["reply_to_message"] = _shallow(reply_to)
        msg.update(content)
        markup = _inline_markup(params)
        if markup:
            msg["reply_markup"] = markup
        if params.get("protect_content"):
            msg["has_protected_content"] = True
        if store:
            chat.store(msg)
        return copy.deepcopy(msg)

    def _reply_target(self, chat: Chat, params: JSONDict) -> JSONDict | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict) or "message_id" not in reply:
            return None
        target_chat = self.state.resolve_chat_id(reply.get("chat_id", chat.id))
        target = self.state.get_message(target_chat, reply["message_id"])
        deleted = reply["message_id"] in self.state.chat(target_chat).deleted_ids
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
            return {**base, "file_name": stored.file_name or "document", "mime_type": stored.mime_type or "application/octet-stream"}
        if kind == "voice":
            return {**base, "duration": duration, "mime_type": "audio/ogg"}
        if kind in ("video", "animation"):
            return {**base, "width": params.get("width", 640), "height": params.get("height", 480), "duration": duration}
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
        markup = _inline_markup(params)
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


# sending ---------------------------------------------------------------------
@handles("sendMessage")
async def send_message(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    return sim.new_message(sim.chat(params), params, _formatted("text", ctx.content.text))


@handles(*MEDIA_METHODS)
async def send_media(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    chat = sim.chat(params)
    sim.check_thread(chat, params.get("message_thread_id"))
    kind = MEDIA_METHODS[ctx.method]
    content: JSONDict = {kind: sim.media_object(kind, params[kind], params)}
    content.update(_formatted("caption", ctx.content.caption))
    return sim.new_message(chat, params, content)


@handles("sendLocation", "sendVenue", "sendContact", "sendDice", "sendPoll")
async def send_other(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    content: JSONDict = {}
    if "latitude" in params:
        content["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
    if "address" in params:
        content["venue"] = {"location": content["location"], "title": params["title"], "address": params["address"]}
    if "phone_number" in params:
        content["contact"] = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
    if "question" in params:
        content["poll"] = _poll(str(next(sim._poll_ids)), params)
    if not content:  # sendDice
        content["dice"] = {"emoji": params.get("emoji", "🎲"), "value": 1}
    return sim.new_message(sim.chat(params), params, content)


def _poll(poll_id: str, params: JSONDict) -> JSONDict:
    """A fresh Poll (PTB 22.8 requires the Bot API 9.6/10.0 fields)."""
    options = [
        {"text": str(o.get("text", "")) if isinstance(o, dict) else str(o), "voter_count": 0,
         "persistent_id": f"{poll_id}-{index}"}
        for index, o in enumerate(params.get("options", []))
    ]
    return {
        "id": poll_id, "question": params["question"], "options": options, "total_voter_count": 0,
        "is_closed": False, "is_anonymous": params.get("is_anonymous", True), "type": params.get("type", "regular"),
        "allows_multiple_answers": bool(params.get("allows_multiple_answers")),
        "allows_revoting": False, "members_only": False,
    }


@handles("sendMediaGroup")
async def send_media_group(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    chat = sim.chat(params)
    items = params["media"]
    if not 2 <= len(items) <= 10:
        raise invalid("wrong number of media items: must include 2-10 items")
    group_id = str(next(sim.state.media_group_ids))
    messages = []
    for index, item in enumerate(items):
        ref = item["media"]
        if ref.startswith("attach://"):
            if ref[9:] not in ctx.files:
                raise invalid(f"can't find file {ref} in the request")
            ref = ctx.files[ref[9:]]
        content: JSONDict = {item["type"]: sim.media_object(item["type"], ref, item), "media_group_id": group_id}
        caption = ctx.content.media_captions[index] if index < len(ctx.content.media_captions) else None
        content.update(_formatted("caption", caption))
        messages.append(sim.new_message(chat, params if index == 0 else {**params, "reply_parameters": None}, content))
    return messages


@handles("sendChatAction")
async def send_chat_action(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    sim.check_thread(sim.chat(params), params.get("message_thread_id"))
    return True


@handles("copyMessage")
async def copy_message(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    source = sim.source_message(params, params["message_id"], "copy")
    content = _copied_content(source, forward=False)
    if "caption" in params and any(k in source for k in MEDIA_KEYS):
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(_formatted("caption", ctx.content.caption))
    if params.get("remove_caption"):
        content.pop("caption", None)
        content.pop("caption_entities", None)
    msg = sim.new_message(sim.chat(params), params, content)
    return {"message_id": msg["message_id"]}


@handles("copyMessages", "forwardMessages")
async def copy_messages(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    verb = "copy" if ctx.method == "copyMessages" else "forward"
    chat = sim.chat(params)
    result = []
    for message_id in sorted(params["message_ids"]):
        try:
            source = sim.source_message(params, message_id, verb)
        except ApiError:
            continue  # Telegram skips messages it cannot find
        content = _copied_content(source, forward=verb == "forward")
        if params.get("remove_caption"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
        result.append({"message_id": sim.new_message(chat, params, content)["message_id"]})
    if not result:
        raise bad_request(f"message to {verb} not found")
    return result


@handles("forwardMessage")
async def forward_message(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    source = sim.source_message(params, params["message_id"], "forward")
    return sim.new_message(sim.chat(params), params, _copied_content(source, forward=True))


def _copied_content(source: JSONDict, *, forward: bool) -> JSONDict:
    """Content fields of a message; forwards also name the original sender."""
    content = {k: copy.deepcopy(v) for k, v in source.items() if k in CONTENT_KEYS}
    if forward:
        sender = source.get("from")
        if sender:
            content["forward_origin"] = {"type": "user", "sender_user": sender, "date": source["date"]}
        else:
            content["forward_origin"] = {"type": "chat", "sender_chat": source["chat"], "date": source["date"]}
    return content


# editing -------------------------------------------------------------------
@handles("editMessageText")
async def edit_message_text(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict | bool:
    target = sim.edit_target(params)
    if target is None:
        return True
    _, msg = target
    if "text" not in msg:
        raise bad_request("there is no text in the message to edit")
    changes = _formatted("text", ctx.content.text)
    return sim.apply_edit(msg, changes, ("text", "entities"), params)


@handles("editMessageCaption")
async def edit_message_caption(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict | bool:
    target = sim.edit_target(params)
    if target is None:
        return True
    _, msg = target
    if not any(key in msg for key in MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    changes = _formatted("caption", ctx.content.caption)
    return sim.apply_edit(msg, changes, ("caption", "caption_entities"), params)


@handles("editMessageReplyMarkup")
async def edit_message_reply_markup(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict | bool:
    target = sim.edit_target(params)
    if target is None:
        return True
    return sim.apply_edit(target[1], {}, (), params)


@handles("deleteMessage")
async def delete_message(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    chat = sim.chat(params)
    if not chat.delete(params["message_id"]):
        raise bad_request("message to delete not found")
    return True


@handles("deleteMessages")
async def delete_messages(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    chat = sim.chat(params)
    for message_id in params["message_ids"]:
        chat.delete(message_id)
    return True


@handles("pinChatMessage")
async def pin_chat_message(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    chat = sim.chat(params)
    if params["message_id"] not in chat.messages:
        raise bad_request("message to pin not found")
    chat.pinned_message_id = params["message_id"]
    return True


@handles("unpinChatMessage", "unpinAllChatMessages")
async def unpin(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    sim.chat(params).pinned_message_id = None
    return True


# updates / webhook -----------------------------------------------------------
@handles("getMe")
async def get_me(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    return {
        **sim.bot, "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False,
    }


@handles("getUpdates")
async def get_updates(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    if sim.state.webhook.get("url"):
        raise ApiError(409, WEBHOOK_CONFLICT, kind="conflict")
    return await sim.state.updates.get(
        params.get("offset"), params.get("limit"), params.get("timeout"), params.get("allowed_updates")
    )


@handles("setWebhook")
async def set_webhook(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    url = params.get("url", "")
    if url and not url.lower().startswith("https://"):
        raise invalid("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise invalid("secret token contains unallowed characters")
    if params.get("drop_pending_updates"):
        sim.state.updates.drop_all()
    if not url:
        sim.state.webhook = {}
        return True
    sim.state.webhook = {
        "url": url, "secret_token": secret, "max_connections": params.get("max_connections", 40),
        "allowed_updates": params.get("allowed_updates"), "ip_address": params.get("ip_address"),
    }
    if params.get("allowed_updates") is not None:
        sim.state.updates.allowed_updates = list(params["allowed_updates"])
    return True


@handles("deleteWebhook")
async def delete_webhook(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    sim.state.webhook = {}
    if params.get("drop_pending_updates"):
        sim.state.updates.drop_all()
    return True


@handles("getWebhookInfo")
async def get_webhook_info(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    hook = sim.state.webhook
    info: JSONDict = {
        "url": hook.get("url", ""), "has_custom_certificate": False,
        "pending_update_count": len(sim.state.updates.pending),
    }
    if hook.get("url"):
        info["max_connections"] = hook["max_connections"]
        if hook.get("allowed_updates") is not None:
            info["allowed_updates"] = hook["allowed_updates"]
        if hook.get("ip_address"):
            info["ip_address"] = hook["ip_address"]
    return info


@handles("logOut", "close")
async def log_out(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    return True


# callbacks / commands ------------------------------------------------------------
@handles("answerCallbackQuery")
async def answer_callback_query(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    query_id = params["callback_query_id"]
    if not sim.state.is_known_callback(query_id) or query_id in sim.state.answered_callbacks:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    sim.state.answered_callbacks.add(query_id)
    return True


def _scope_key(sim: Simulator, params: JSONDict) -> tuple[str, str]:
    scope = params.get("scope")
    if isinstance(scope, dict) and isinstance(scope.get("chat_id"), str) and scope["chat_id"].lstrip("-").isdigit():
        scope = {**scope, "chat_id": int(scope["chat_id"])}
    return sim.state.command_key(scope, params.get("language_code"))


@handles("setMyCommands")
async def set_my_commands(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    commands = [{"command": c["command"], "description": c["description"]} for c in params["commands"]]
    key = _scope_key(sim, params)
    if commands:
        sim.state.commands[key] = commands
    else:
        sim.state.commands.pop(key, None)
    return True


@handles("getMyCommands")
async def get_my_commands(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    return copy.deepcopy(sim.state.commands.get(_scope_key(sim, params), []))


@handles("deleteMyCommands")
async def delete_my_commands(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    sim.state.commands.pop(_scope_key(sim, params), None)
    return True


# forum topics ------------------------------------------------------------------
def _topic(sim: Simulator, params: JSONDict) -> tuple[Chat, Topic]:
    chat = sim.chat(params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    topic = chat.live_topic(params["message_thread_id"])
    if topic is None:
        raise bad_request("message thread not found")
    return chat, topic


@handles("createForumTopic")
async def create_forum_topic(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    chat = sim.chat(params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    thread_id = chat.allocate_message_id()  # Telegram: thread id == id of the "topic created" message
    topic = Topic(thread_id, params["name"], params.get("icon_color", 7322096), params.get("icon_custom_emoji_id"))
    chat.topics[thread_id] = topic
    created = {k: v for k, v in topic.as_forum_topic().items() if k != "message_thread_id"}
    chat.store({
        "message_id": thread_id, "from": dict(sim.bot), "chat": chat.as_dict(), "date": int(time.time()),
        "message_thread_id": thread_id, "is_topic_message": True, "forum_topic_created": created,
    })
    return topic.as_forum_topic()


@handles("editForumTopic")
async def edit_forum_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    _, topic = _topic(sim, params)
    name = params.get("name", topic.name)
    emoji = params.get("icon_custom_emoji_id", topic.icon_custom_emoji_id)
    if name == topic.name and emoji == topic.icon_custom_emoji_id:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name, topic.icon_custom_emoji_id = name, emoji or None
    return True


@handles("closeForumTopic", "reopenForumTopic")
async def close_forum_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    _, topic = _topic(sim, params)
    closing = ctx.method == "closeForumTopic"
    if topic.closed == closing:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closing
    return True


@handles("deleteForumTopic")
async def delete_forum_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    chat, topic = _topic(sim, params)
    topic.deleted = True
    for message_id in [m for m, msg in chat.messages.items() if msg.get("message_thread_id") == topic.message_thread_id]:
        chat.delete(message_id)
    return True


@handles("unpinAllForumTopicMessages")
async def unpin_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    _topic(sim, params)
    return True


# chats / members / files ---------------------------------------------------------
MEMBER_DEFAULTS: dict[str, JSONDict] = {
    "creator": {"is_anonymous": False},
    "administrator": {
        "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
        "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
        "can_change_info": True, "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
        "can_delete_stories": False, "can_pin_messages": True, "can_manage_topics": True,
    },
    "restricted": {
        "is_member": True, "can_send_messages": False, "can_send_audios": False, "can_send_documents": False,
        "can_send_photos": False, "can_send_videos": False, "can_send_video_notes": False,
        "can_send_voice_notes": False, "can_send_polls": False, "can_send_other_messages": False,
        "can_add_web_page_previews": False, "can_change_info": False, "can_invite_users": False,
        "can_pin_messages": False, "can_manage_topics": False, "until_date": 0,
    },
    "kicked": {"until_date": 0},
    "member": {},
    "left": {},
}


def member_object(sim: Simulator, chat: Chat, user_id: int) -> JSONDict:
    """ChatMember for a registered member; the bot is admin in forums; everyone else has "left"."""
    entry = chat.members.get(user_id)
    if entry is None:
        if user_id == sim.bot["id"]:
            status = "administrator" if chat.is_forum else "member"
        elif chat.type == "private" and user_id == chat.id:
            status = "member"
        else:
            status = "left"
        entry = {"status": status}
    status = entry["status"]
    return {**MEMBER_DEFAULTS.get(status, {}), **entry, "status": status, "user": sim.state.user(user_id)}


@handles("getChat")
async def get_chat(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    chat = sim.chat(params)
    info: JSONDict = {
        **chat.as_dict(), "accent_color_id": 0, "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False, "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    if chat.pinned_message_id in chat.messages:
        info["pinned_message"] = copy.deepcopy(chat.messages[chat.pinned_message_id])
    return info


@handles("getChatMember")
async def get_chat_member(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    return member_object(sim, sim.chat(params), params["user_id"])


@handles("getChatAdministrators")
async def get_chat_administrators(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    chat = sim.chat(params)
    ids = [uid for uid, e in chat.members.items() if e["status"] in ("creator", "administrator")]
    if chat.is_forum and sim.bot["id"] not in chat.members:
        ids.append(sim.bot["id"])
    return [member_object(sim, chat, uid) for uid in ids]


@handles("getChatMemberCount")
async def get_chat_member_count(sim: Simulator, params: JSONDict, ctx: Context) -> int:
    chat = sim.chat(params)
    present = [e for e in chat.members.values() if e["status"] not in ("left", "kicked")]
    return len(present) + (0 if sim.bot["id"] in chat.members else 1)


@handles("banChatMember", "unbanChatMember")
async def ban_chat_member(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    chat = sim.chat(params)
    user_id = params["user_id"]
    if ctx.method == "banChatMember":
        chat.members[user_id] = {"status": "kicked", "until_date": params.get("until_date", 0)}
    elif not params.get("only_if_banned") or chat.members.get(user_id, {}).get("status") == "kicked":
        chat.members[user_id] = {"status": "left"}
    return True


@handles("getFile")
async def get_file(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    stored = sim.state.files.get(params["file_id"])
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.as_file()


@handles("leaveChat")
async def leave_chat(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    sim.chat(params)
    return True
