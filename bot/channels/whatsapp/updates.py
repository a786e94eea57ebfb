"""Parse a WhatsApp Cloud API webhook POST body into neutral dataclasses, without ever raising.

Ids are kept exactly as received: a Mexican `wa_id` such as `5213312345678` is never rewritten, and a user known
only by a business-scoped user id (BSUID, `contacts[].user_id`, `from_user_id`) has `wa_id = None`. Anything the
parser cannot understand comes back as an `unsupported` message (when it has a wamid, so the bot can answer or
mark it) or as a `Problem` (when it has none), never as an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
STATUS_VALUES = ("sent", "delivered", "read", "failed", "played")


class Kind(str, Enum):
    TEXT = "text"
    BUTTON = "button"          # reply button tap, or a template quick-reply button
    LIST = "list"              # list row tap
    MEDIA = "media"
    LOCATION = "location"
    REACTION = "reaction"
    SYSTEM = "system"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Sender:
    """Who wrote: the BSUID when Meta gives one (the stable key), the phone id as received, the profile name."""

    user_id: str | None
    wa_id: str | None
    name: str | None = None
    parent_user_id: str | None = None
    username: str | None = None

    @property
    def key(self) -> str | None:
        """The id to key the user by: BSUID first, else the wa_id."""
        return self.user_id or self.wa_id


@dataclass(frozen=True)
class Media:
    """An inbound attachment; `media_id` expires after 7 days, so download it at once."""

    kind: str                  # image | audio | video | document | sticker
    media_id: str
    mime_type: str | None = None
    sha256: str | None = None
    filename: str | None = None
    caption: str | None = None
    voice: bool = False
    animated: bool = False


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Reaction:
    message_id: str | None     # the wamid reacted to
    emoji: str | None          # None/"" when a reaction is removed


@dataclass(frozen=True)
class SystemChange:
    """An identity change: move the user's history from the old ids to the new ones."""

    type: str                  # user_changed_number | user_changed_user_id | other system types as received
    body: str | None = None
    new_wa_id: str | None = None
    new_user_id: str | None = None
    previous_user_id: str | None = None


@dataclass(frozen=True)
class ErrorInfo:
    code: int | None
    title: str | None = None
    message: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class Inbound:
    """One user message; `wamid` is the dedupe key, `timestamp` (unix seconds) opens the 24-hour window."""

    wamid: str
    sender: Sender
    timestamp: int | None
    kind: Kind
    raw_type: str | None = None
    text: str | None = None
    choice_id: str | None = None
    choice_title: str | None = None
    choice_description: str | None = None
    media: Media | None = None
    location: Location | None = None
    reaction: Reaction | None = None
    system: SystemChange | None = None
    context_id: str | None = None          # wamid of the business message this answers (button taps, replies)
    errors: tuple[ErrorInfo, ...] = ()
    phone_number_id: str | None = None


@dataclass(frozen=True)
class Status:
    """A delivery report for a message the bot sent; `read` can come without `delivered`, `failed` is final."""

    wamid: str
    status: str
    timestamp: int | None
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    errors: tuple[ErrorInfo, ...] = ()
    pricing_category: str | None = None
    phone_number_id: str | None = None


@dataclass(frozen=True)
class Problem:
    """A part of the body that could not be used (no wamid to answer to, or not JSON at all)."""

    reason: str
    raw: Any = None


@dataclass
class Batch:
    messages: list[Inbound] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> Batch:
    """Everything in one webhook POST, in order: messages, statuses and the parts that could not be parsed."""
    batch = Batch()
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            batch.problems.append(Problem("body is not JSON"))
            return batch
    if not isinstance(body, Mapping):
        batch.problems.append(Problem("body is not a JSON object", body))
        return batch
    if body.get("object") != "whatsapp_business_account":
        batch.problems.append(Problem(f"unexpected object {body.get('object')!r}", dict(body)))
    for entry in _dicts(body.get("entry"), batch, "entry"):
        for change in _dicts(entry.get("changes"), batch, "change"):
            _parse_change(change, batch)
    return batch


def _parse_change(change: Mapping[str, Any], batch: Batch) -> None:
    value = change.get("value")
    if change.get("field") != "messages":
        batch.problems.append(Problem(f"field {change.get('field')!r} is not handled", dict(change)))
        return
    if not isinstance(value, Mapping):
        batch.problems.append(Problem("change without a value object", dict(change)))
        return
    metadata = value.get("metadata") if isinstance(value.get("metadata"), Mapping) else {}
    phone_number_id = _str(metadata.get("phone_number_id"))
    raw_contacts = value.get("contacts")
    contacts = [c for c in raw_contacts if isinstance(c, Mapping)] if isinstance(raw_contacts, list) else []
    for raw in _dicts(value.get("messages"), batch, "message"):
        message = _parse_message(raw, contacts, phone_number_id)
        if isinstance(message, Problem):
            batch.problems.append(message)
        else:
            batch.messages.append(message)
    for raw in _dicts(value.get("statuses"), batch, "status"):
        status = _parse_status(raw, phone_number_id)
        if isinstance(status, Problem):
            batch.problems.append(status)
        else:
            batch.statuses.append(status)
    errors = value.get("errors")
    for raw in errors if isinstance(errors, list) else []:  # account-level errors (no message to attach them to)
        batch.problems.append(Problem("webhook error", raw))


def _dicts(value: Any, batch: Batch, what: str) -> list[Mapping[str, Any]]:
    """The mappings of a JSON array; anything else becomes a Problem instead of an exception."""
    if value is None:
        return []
    if not isinstance(value, list):
        batch.problems.append(Problem(f"{what} list is not an array", value))
        return []
    good = []
    for item in value:
        if isinstance(item, Mapping):
            good.append(item)
        else:
            batch.problems.append(Problem(f"{what} is not an object", item))
    return good


# messages -----------------------------------------------------------------------------------------------
def _sender(raw: Mapping[str, Any], contacts: list[Mapping[str, Any]]) -> Sender:
    wa_id = _str(raw.get("from"))
    user_id = _str(raw.get("from_user_id"))
    contact = _contact_for(wa_id, user_id, contacts)
    profile = contact.get("profile") if isinstance(contact.get("profile"), Mapping) else {}
    return Sender(
        user_id=user_id or _str(contact.get("user_id")),
        wa_id=wa_id or _str(contact.get("wa_id")),
        name=_str(profile.get("name")),
        parent_user_id=_str(raw.get("from_parent_user_id")) or _str(contact.get("parent_user_id")),
        username=_str(profile.get("username")) or _str(contact.get("username")),
    )


def _contact_for(wa_id: str | None, user_id: str | None, contacts: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The contact that names this sender: an id in common and none in conflict (or the only, compatible one)."""
    compatible = []
    for contact in contacts:
        c_wa, c_user = _str(contact.get("wa_id")), _str(contact.get("user_id"))
        if (wa_id and c_wa and c_wa != wa_id) or (user_id and c_user and c_user != user_id):
            continue
        if (wa_id and c_wa == wa_id) or (user_id and c_user == user_id):
            return contact
        compatible.append(contact)
    return compatible[0] if len(contacts) == 1 and compatible else {}


def _parse_message(raw: Mapping[str, Any], contacts: list[Mapping[str, Any]], phone_number_id: str | None,
                   ) -> Inbound | Problem:
    wamid = _str(raw.get("id"))
    if not wamid:
        return Problem("message without an id", dict(raw))
    raw_type = _str(raw.get("type"))
    context = raw.get("context") if isinstance(raw.get("context"), Mapping) else {}
    base = dict(
        wamid=wamid, sender=_sender(raw, contacts), timestamp=_int(raw.get("timestamp")), raw_type=raw_type,
        context_id=_str(context.get("id")), errors=_errors(raw.get("errors")), phone_number_id=phone_number_id,
    )
    try:
        fields = _content(raw_type, raw)
    except (TypeError, ValueError, KeyError, AttributeError):
        fields = None
    if fields is None:
        return Inbound(kind=Kind.UNSUPPORTED, **base)
    return Inbound(**base, **fields)


def _content(raw_type: str | None, raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """The kind-specific fields, or None when the content is unknown or malformed (→ unsupported)."""
    part = raw.get(raw_type) if raw_type else None
    if raw_type == "text" and isinstance(part, Mapping) and isinstance(part.get("body"), str):
        return {"kind": Kind.TEXT, "text": part["body"]}
    if raw_type == "interactive" and isinstance(part, Mapping):
        sub = part.get("type")
        reply = part.get(sub) if sub in ("button_reply", "list_reply") else None
        if isinstance(reply, Mapping) and _str(reply.get("id")):
            kind = Kind.BUTTON if sub == "button_reply" else Kind.LIST
            return {"kind": kind, "choice_id": _str(reply["id"]), "choice_title": _str(reply.get("title")),
                    "choice_description": _str(reply.get("description"))}
        return None
    if raw_type == "button" and isinstance(part, Mapping) and _str(part.get("payload")):
        return {"kind": Kind.BUTTON, "choice_id": _str(part["payload"]), "choice_title": _str(part.get("text"))}
    if raw_type in MEDIA_TYPES and isinstance(part, Mapping) and _str(part.get("id")):
        media = Media(
            kind=raw_type, media_id=_str(part["id"]), mime_type=_str(part.get("mime_type")),
            sha256=_str(part.get("sha256")), filename=_str(part.get("filename")), caption=_str(part.get("caption")),
            voice=part.get("voice") is True, animated=part.get("animated") is True,
        )
        return {"kind": Kind.MEDIA, "media": media, "text": media.caption}
    if raw_type == "location" and isinstance(part, Mapping):
        location = Location(float(part["latitude"]), float(part["longitude"]),
                            _str(part.get("name")), _str(part.get("address")))
        return {"kind": Kind.LOCATION, "location": location}
    if raw_type == "reaction" and isinstance(part, Mapping):
        return {"kind": Kind.REACTION, "reaction": Reaction(_str(part.get("message_id")), _str(part.get("emoji")))}
    if raw_type == "system" and isinstance(part, Mapping) and _str(part.get("type")):
        system = SystemChange(
            type=_str(part["type"]), body=_str(part.get("body")),
            new_wa_id=_str(part.get("wa_id")) or _str(part.get("new_wa_id")),
            new_user_id=_str(part.get("user_id")), previous_user_id=_str(part.get("previous_user_id")),
        )
        return {"kind": Kind.SYSTEM, "system": system}
    return None


# statuses -----------------------------------------------------------------------------------------------
def _parse_status(raw: Mapping[str, Any], phone_number_id: str | None) -> Status | Problem:
    wamid = _str(raw.get("id"))
    status = _str(raw.get("status"))
    if not wamid or status not in STATUS_VALUES:
        return Problem("status without an id or with an unknown value", dict(raw))
    pricing = raw.get("pricing") if isinstance(raw.get("pricing"), Mapping) else {}
    return Status(
        wamid=wamid, status=status, timestamp=_int(raw.get("timestamp")),
        recipient_id=_str(raw.get("recipient_id")), recipient_user_id=_str(raw.get("recipient_user_id")),
        errors=_errors(raw.get("errors")), pricing_category=_str(pricing.get("category")),
        phone_number_id=phone_number_id,
    )


def _errors(value: Any) -> tuple[ErrorInfo, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if not isinstance(item, Mapping):
            continue
        data = item.get("error_data") if isinstance(item.get("error_data"), Mapping) else {}
        found.append(ErrorInfo(_int(item.get("code")), _str(item.get("title")), _str(item.get("message")),
                               _str(data.get("details"))))
    return tuple(found)


def _str(value: Any) -> str | None:
    """Strings as they are; numbers as their digits (ids sometimes arrive as JSON numbers); else None."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None
