"""Plain records of the fake Graph API: users, calls, sent messages, stored media, webhook deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class WaUser:
    """A WhatsApp user as Meta knows them: phone id (`wa_id`, may be None) and business-scoped id (`user_id`)."""

    wa_id: str | None
    name: str = "Ana"
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    last_inbound: float | None = None       # fake-clock unix time of their last message (opens the 24 h window)

    @property
    def key(self) -> str:
        """The stable key of this user in the fake (BSUID first)."""
        return self.user_id or self.wa_id or "?"

    def contact(self) -> dict[str, Any]:
        """The `contacts[]` entry of a webhook (no `wa_id` for a BSUID-only user)."""
        profile: dict[str, Any] = {"name": self.name}
        if self.username:
            profile["username"] = self.username
        contact: dict[str, Any] = {"profile": profile}
        if self.wa_id:
            contact["wa_id"] = self.wa_id
        if self.user_id:
            contact["user_id"] = self.user_id
        if self.parent_user_id:
            contact["parent_user_id"] = self.parent_user_id
        return contact

    def sender_fields(self) -> dict[str, Any]:
        """`from` / `from_user_id` of a webhook message."""
        fields: dict[str, Any] = {}
        if self.wa_id:
            fields["from"] = self.wa_id
        if self.user_id:
            fields["from_user_id"] = self.user_id
        if self.parent_user_id:
            fields["from_parent_user_id"] = self.parent_user_id
        return fields


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as the bot sent it."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class Call:
    """One request the bot made (refused ones too); `kind` is the message type or the media operation."""

    endpoint: str                    # messages | media_upload | media_info | media_download | media_delete | unknown
    kind: str                        # text, interactive, template, image, ..., read; or the endpoint for media calls
    method: str
    path: str
    body: Any
    time: float
    response_status: int
    recipient: str | None = None
    result: Any = None
    error_code: int | None = None
    error: str | None = None
    error_kind: str | None = None    # validation | auth | injected | window | rate | state
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.response_status == 200

    def summary(self) -> str:
        """One line for assertion messages."""
        shown = repr(self.body)
        shown = shown if len(shown) < 160 else shown[:157] + "..."
        tail = f" -> {self.response_status} {self.error}" if self.error else f" -> {self.response_status}"
        return f"{self.method} {self.path} [{self.kind}] {shown}{tail}"


@dataclass
class SentMessage:
    """A message the fake accepted for a user, with the statuses it reported since."""

    wamid: str
    recipient: str                   # the user key (BSUID or wa_id)
    body: dict[str, Any]
    time: float                      # fake-clock unix time
    statuses: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.body.get("type", "text")

    @property
    def text(self) -> str | None:
        """The visible text: text body, interactive body, caption, or the template name."""
        part = self.body.get(self.type) or {}
        if self.type == "text":
            return part.get("body")
        if self.type == "interactive":
            return (part.get("body") or {}).get("text")
        if self.type == "template":
            return part.get("name")
        return part.get("caption")

    @property
    def choice_ids(self) -> list[str]:
        """Reply-button or list-row ids offered by an interactive message."""
        part = self.body.get("interactive") or {}
        action = part.get("action") or {}
        ids = [b["reply"]["id"] for b in action.get("buttons") or []]
        for section in action.get("sections") or []:
            ids.extend(row["id"] for row in section.get("rows") or [])
        return ids


@dataclass
class StoredMedia:
    """Uploaded or inbound media; `expires_at` on the fake clock (30 days for uploads, 7 for inbound ids)."""

    media_id: str
    data: bytes = field(repr=False)
    mime_type: str
    sha256: str
    kind: str
    expires_at: float
    filename: str | None = None
    inbound: bool = False
    deleted: bool = False


@dataclass
class Delivery:
    """A webhook POST the fake made to the bot: exact bytes, signature and the bot's answer."""

    payload: dict[str, Any]
    raw: bytes = field(repr=False)
    signature: str | None
    status: int
    response_text: str = ""
    message_id: str | None = None
