"""Builders for the webhook bodies Meta POSTs (messages and statuses), shaped as in the 2026 Cloud API.

Messages carry `contacts[]` (with `user_id` and, unless the user is BSUID-only, `wa_id`) and `from` /
`from_user_id`; system messages have no `contacts` array (changelog 2026-08-11).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from .models import WaUser

JSONDict = dict[str, Any]


def new_wamid() -> str:
    """An id that looks like Meta's (`wamid.` + base64)."""
    return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(18)).decode()


def sign(app_secret: str, raw: bytes) -> str:
    """`X-Hub-Signature-256` value: HMAC-SHA256 of the raw body with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Business:
    """The business side of every webhook: WABA id, phone number id and display number."""

    waba_id: str
    phone_number_id: str
    display_phone_number: str

    def envelope(self, value: JSONDict) -> JSONDict:
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": self.display_phone_number,
                              "phone_number_id": self.phone_number_id}, **value}
        return {"object": "whatsapp_business_account",
                "entry": [{"id": self.waba_id, "changes": [{"value": value, "field": "messages"}]}]}

    def message(self, user: WaUser, message: JSONDict, *, contacts: bool = True) -> JSONDict:
        """One inbound message from `user` (id, timestamp and type already in `message`)."""
        value: JSONDict = {"messages": [{**user.sender_fields(), **message}]}
        if contacts:
            value = {"contacts": [user.contact()], **value}
        return self.envelope(value)

    def status(self, wamid: str, status: str, timestamp: int, user: WaUser | None,
               errors: list[JSONDict] | None = None) -> JSONDict:
        """A delivery status for a message the bot sent."""
        item: JSONDict = {"id": wamid, "status": status, "timestamp": str(timestamp)}
        if user is not None and user.wa_id:
            item["recipient_id"] = user.wa_id
        if user is not None and user.user_id:
            item["recipient_user_id"] = user.user_id
        if status in ("sent", "delivered", "read"):
            item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service", "type": "regular"}
        if errors:
            item["errors"] = errors
        return self.envelope({"statuses": [item]})

    def template_status(self, template_id: int, name: str, language: str, event: str, timestamp: int,
                        reason: str | None = None, other_info: JSONDict | None = None) -> JSONDict:
        """field message_template_status_update: a template approved, rejected, paused, disabled, ..."""
        value: JSONDict = {"event": event, "message_template_id": template_id, "message_template_name": name,
                           "message_template_language": language, "reason": reason or "NONE"}
        if other_info:
            value["other_info"] = other_info
        return {"object": "whatsapp_business_account", "entry": [{"id": self.waba_id, "time": timestamp, "changes": [
            {"value": value, "field": "message_template_status_update"}]}]}

    def template_quality(self, template_id: int, name: str, language: str, previous: str, new: str,
                         timestamp: int) -> JSONDict:
        """field message_template_quality_update: GREEN, YELLOW, RED or UNKNOWN."""
        value = {"previous_quality_score": previous, "new_quality_score": new, "message_template_id": template_id,
                 "message_template_name": name, "message_template_language": language}
        return {"object": "whatsapp_business_account", "entry": [{"id": self.waba_id, "time": timestamp, "changes": [
            {"value": value, "field": "message_template_quality_update"}]}]}


def base(wamid: str, timestamp: int, kind: str, context: JSONDict | None = None) -> JSONDict:
    message: JSONDict = {"id": wamid, "timestamp": str(timestamp), "type": kind}
    if context:
        message["context"] = context
    return message


def text(wamid: str, ts: int, body: str, context: JSONDict | None = None) -> JSONDict:
    return {**base(wamid, ts, "text", context), "text": {"body": body}}


def button_reply(wamid: str, ts: int, button_id: str, title: str, context: JSONDict | None) -> JSONDict:
    return {**base(wamid, ts, "interactive", context),
            "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}}


def list_reply(wamid: str, ts: int, row_id: str, title: str, description: str | None,
               context: JSONDict | None) -> JSONDict:
    reply: JSONDict = {"id": row_id, "title": title}
    if description:
        reply["description"] = description
    return {**base(wamid, ts, "interactive", context), "interactive": {"type": "list_reply", "list_reply": reply}}


def media(wamid: str, ts: int, kind: str, media_id: str, mime: str, sha256: str, *, caption: str | None = None,
          filename: str | None = None, voice: bool = False, animated: bool = False) -> JSONDict:
    part: JSONDict = {"mime_type": mime, "sha256": sha256, "id": media_id}
    if caption is not None and kind in ("image", "video", "document"):
        part["caption"] = caption
    if filename is not None and kind == "document":
        part["filename"] = filename
    if kind == "audio":
        part["voice"] = voice
    if kind == "sticker":
        part["animated"] = animated
    return {**base(wamid, ts, kind), kind: part}


def location(wamid: str, ts: int, latitude: float, longitude: float, name: str | None,
             address: str | None) -> JSONDict:
    part: JSONDict = {"latitude": latitude, "longitude": longitude}
    if name:
        part["name"] = name
    if address:
        part["address"] = address
    return {**base(wamid, ts, "location"), "location": part}


def reaction(wamid: str, ts: int, message_id: str, emoji: str) -> JSONDict:
    return {**base(wamid, ts, "reaction"), "reaction": {"message_id": message_id, "emoji": emoji}}


def unsupported(wamid: str, ts: int, unsupported_type: str) -> JSONDict:
    return {**base(wamid, ts, "unsupported"),
            "errors": [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
                        "error_data": {"details": "Message type is currently not supported."}}],
            "unsupported": {"type": unsupported_type}}


def system(wamid: str, ts: int, system_part: JSONDict) -> JSONDict:
    return {**base(wamid, ts, "system"), "system": system_part}
