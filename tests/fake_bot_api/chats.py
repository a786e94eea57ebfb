"""Simulated non-message methods: getMe/getUpdates/webhook, callbacks, commands, topics, members, files."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from .errors import ApiError, bad_request, invalid
from .simulator import Context, Simulator, handles
from .state import DEFAULT_ICON_COLOR, Chat, Topic

JSONDict = dict[str, Any]
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


# updates / webhook -----------------------------------------------------------
@handles("getMe")
async def get_me(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    """Bot user with the capability flags PTB reads."""
    return {
        **sim.bot, "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False,
    }


@handles("getUpdates")
async def get_updates(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    """Long poll; refused with 409 while a webhook is set."""
    if sim.state.webhook.get("url"):
        raise ApiError(409, WEBHOOK_CONFLICT, kind="conflict")
    return await sim.state.updates.get(
        params.get("offset"), params.get("limit"), params.get("timeout"), params.get("allowed_updates")
    )


@handles("setWebhook")
async def set_webhook(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Telegram only accepts HTTPS webhooks and a restricted secret alphabet."""
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
    """Removes the webhook, optionally dropping pending updates."""
    sim.state.webhook = {}
    if params.get("drop_pending_updates"):
        sim.state.updates.drop_all()
    return True


@handles("getWebhookInfo")
async def get_webhook_info(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    """Reports the stored webhook and the pending update count."""
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
    """No-op: there is no real session to close."""
    return True


# callbacks / commands ------------------------------------------------------------
@handles("answerCallbackQuery")
async def answer_callback_query(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Each known query can be answered once; unknown/repeated ids get Telegram's 'too old' error."""
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
    """Stored per (scope, language_code); an empty list deletes."""
    commands = [{"command": c["command"], "description": c["description"]} for c in params["commands"]]
    key = _scope_key(sim, params)
    if commands:
        sim.state.commands[key] = commands
    else:
        sim.state.commands.pop(key, None)
    return True


@handles("getMyCommands")
async def get_my_commands(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    """Exact scope/language lookup (no fallback), like Telegram."""
    return copy.deepcopy(sim.state.commands.get(_scope_key(sim, params), []))


@handles("deleteMyCommands")
async def delete_my_commands(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Removes the list for that scope/language."""
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
    """Only in forum chats; the thread id is the id of the 'topic created' service message."""
    chat = sim.chat(params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    thread_id = chat.allocate_message_id()  # Telegram: thread id == id of the "topic created" message
    icon = params.get("icon_color", DEFAULT_ICON_COLOR)
    topic = Topic(thread_id, params["name"], icon, params.get("icon_custom_emoji_id"))
    chat.topics[thread_id] = topic
    created = {k: v for k, v in topic.as_forum_topic().items() if k != "message_thread_id"}
    chat.store({
        "message_id": thread_id, "from": dict(sim.bot), "chat": chat.as_dict(), "date": int(time.time()),
        "message_thread_id": thread_id, "is_topic_message": True, "forum_topic_created": created,
    })
    return topic.as_forum_topic()


@handles("editForumTopic")
async def edit_forum_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Telegram refuses edits that change nothing."""
    _, topic = _topic(sim, params)
    name = params.get("name", topic.name)
    emoji = params.get("icon_custom_emoji_id", topic.icon_custom_emoji_id)
    if name == topic.name and emoji == topic.icon_custom_emoji_id:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name, topic.icon_custom_emoji_id = name, emoji or None
    return True


@handles("closeForumTopic", "reopenForumTopic")
async def close_forum_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Closing a closed (or reopening an open) topic is TOPIC_NOT_MODIFIED."""
    _, topic = _topic(sim, params)
    closing = ctx.method == "closeForumTopic"
    if topic.closed == closing:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closing
    return True


@handles("deleteForumTopic")
async def delete_forum_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Deletes the topic and its messages; later sends to it fail."""
    chat, topic = _topic(sim, params)
    topic.deleted = True
    in_topic = [m for m, msg in chat.messages.items() if msg.get("message_thread_id") == topic.message_thread_id]
    for message_id in in_topic:
        chat.delete(message_id)
    return True


@handles("unpinAllForumTopicMessages")
async def unpin_topic(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Only validates the topic."""
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
        "can_pin_messages": False, "can_manage_topics": False, "can_edit_tag": False, "can_react_to_messages": True, "until_date": 0,
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
    """ChatFullInfo with the fields PTB 22.8 requires."""
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
    """Registered status, the bot as admin in forums, otherwise 'left'."""
    return member_object(sim, sim.chat(params), params["user_id"])


@handles("getChatAdministrators")
async def get_chat_administrators(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    """Registered admins/creators plus the bot in forums."""
    chat = sim.chat(params)
    ids = [uid for uid, e in chat.members.items() if e["status"] in ("creator", "administrator")]
    if chat.is_forum and sim.bot["id"] not in chat.members:
        ids.append(sim.bot["id"])
    return [member_object(sim, chat, uid) for uid in ids]


@handles("getChatMemberCount")
async def get_chat_member_count(sim: Simulator, params: JSONDict, ctx: Context) -> int:
    """Registered present members plus the bot."""
    chat = sim.chat(params)
    present = [e for e in chat.members.values() if e["status"] not in ("left", "kicked")]
    return len(present) + (0 if sim.bot["id"] in chat.members else 1)


@handles("banChatMember", "unbanChatMember")
async def ban_chat_member(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Ban -> kicked; unban -> left (respecting only_if_banned)."""
    chat = sim.chat(params)
    user_id = params["user_id"]
    if ctx.method == "banChatMember":
        chat.members[user_id] = {"status": "kicked", "until_date": params.get("until_date", 0)}
    elif not params.get("only_if_banned") or chat.members.get(user_id, {}).get("status") == "kicked":
        chat.members[user_id] = {"status": "left"}
    return True


@handles("getFile")
async def get_file(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    """Only files the fake knows (uploads or seen in updates)."""
    stored = sim.state.files.get(params["file_id"])
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.as_file()


@handles("leaveChat")
async def leave_chat(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Always succeeds."""
    sim.chat(params)
    return True
