"""Simulated sending and editing methods (sendX, copy/forward, edit*, delete, pin)."""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, bad_request, invalid
from .simulator import Context, Simulator, formatted, handles
from .state import CONTENT_KEYS, MEDIA_KEYS

JSONDict = dict[str, Any]
MEDIA_METHODS = {
    "sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice", "sendVideo": "video",
    "sendAudio": "audio", "sendSticker": "sticker", "sendAnimation": "animation", "sendVideoNote": "video_note",
}


# sending ---------------------------------------------------------------------
@handles("sendMessage")
async def send_message(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    """Text message with visible text + entities as Telegram stores them."""
    return sim.new_message(sim.chat(params), params, formatted("text", ctx.content.text))


@handles(*MEDIA_METHODS)
async def send_media(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    """Uploads keep their bytes (getFile/download work); file_ids must be known or http(s) URLs."""
    chat = sim.chat(params)
    sim.check_thread(chat, params.get("message_thread_id"))
    kind = MEDIA_METHODS[ctx.method]
    content: JSONDict = {kind: sim.media_object(kind, params[kind], params)}
    content.update(formatted("caption", ctx.content.caption))
    return sim.new_message(chat, params, content)


@handles("sendLocation", "sendVenue", "sendContact", "sendDice", "sendPoll")
async def send_other(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    """Location/venue/contact/dice/poll messages with minimal but PTB-valid payloads."""
    content: JSONDict = {}
    if "latitude" in params:
        content["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
    if "address" in params:
        content["venue"] = {"location": content["location"], "title": params["title"], "address": params["address"]}
    if "phone_number" in params:
        content["contact"] = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
    if "question" in params:
        content["poll"] = _poll(str(next(sim.poll_ids)), params)
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
    """One message per item sharing a media_group_id; attach:// parts come from the multipart body."""
    chat = sim.chat(params)
    items = params["media"]
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
        content.update(formatted("caption", caption))
        messages.append(sim.new_message(chat, params, content))
    return messages


@handles("sendChatAction")
async def send_chat_action(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Only checks the chat/thread: actions leave no trace in the chat."""
    sim.check_thread(sim.chat(params), params.get("message_thread_id"))
    return True


@handles("copyMessage")
async def copy_message(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict:
    """Copies content without a forward header; caption may be replaced; returns only MessageId."""
    source = sim.source_message(params, params["message_id"], "copy")
    content = _copied_content(source, forward=False)
    if "caption" in params and any(k in source for k in MEDIA_KEYS):
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(formatted("caption", ctx.content.caption))
    if params.get("remove_caption"):
        content.pop("caption", None)
        content.pop("caption_entities", None)
    msg = sim.new_message(sim.chat(params), params, content)
    return {"message_id": msg["message_id"]}


@handles("copyMessages", "forwardMessages")
async def copy_messages(sim: Simulator, params: JSONDict, ctx: Context) -> list[JSONDict]:
    """Like Telegram, silently skips ids it cannot find, but refuses when none is left."""
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
    """Forward keeps content and adds forward_origin (the original sender)."""
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
    """Refuses media messages and no-op edits; omitting reply_markup removes the keyboard."""
    target = sim.edit_target(params)
    if target is None:
        return True
    _, msg = target
    if "text" not in msg:
        raise bad_request("there is no text in the message to edit")
    changes = formatted("text", ctx.content.text)
    return sim.apply_edit(msg, changes, ("text", "entities"), params)


@handles("editMessageCaption")
async def edit_message_caption(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict | bool:
    """Only media messages have captions; no-op edits are refused."""
    target = sim.edit_target(params)
    if target is None:
        return True
    _, msg = target
    if not any(key in msg for key in MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    changes = formatted("caption", ctx.content.caption)
    return sim.apply_edit(msg, changes, ("caption", "caption_entities"), params)


@handles("editMessageReplyMarkup")
async def edit_message_reply_markup(sim: Simulator, params: JSONDict, ctx: Context) -> JSONDict | bool:
    """Markup-only edit; the same markup again is 'message is not modified'."""
    target = sim.edit_target(params)
    if target is None:
        return True
    return sim.apply_edit(target[1], {}, (), params)


@handles("deleteMessage")
async def delete_message(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Deleted ids are remembered so replies to them fail."""
    chat = sim.chat(params)
    if not chat.delete(params["message_id"]):
        raise bad_request("message to delete not found")
    return True


@handles("deleteMessages")
async def delete_messages(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Bulk delete ignores ids that are already gone, like Telegram."""
    chat = sim.chat(params)
    for message_id in params["message_ids"]:
        chat.delete(message_id)
    return True


@handles("pinChatMessage")
async def pin_chat_message(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Pinned message shows up in getChat."""
    chat = sim.chat(params)
    if params["message_id"] not in chat.messages:
        raise bad_request("message to pin not found")
    chat.pinned_message_id = params["message_id"]
    return True


@handles("unpinChatMessage", "unpinAllChatMessages")
async def unpin(sim: Simulator, params: JSONDict, ctx: Context) -> bool:
    """Unpinning always succeeds."""
    sim.chat(params).pinned_message_id = None
    return True
