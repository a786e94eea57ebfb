"""The WhatsApp user channel: replies, relays and broadcasts through the Cloud API, every call via the outbox.

WhatsApp cannot edit sent messages (replace/edit_relayed answer False), and outside the 24-hour customer-service
window (counted from the timestamp of the user's last message) only approved templates may be sent: broadcasts
switch to WHATSAPP_UPDATE_TEMPLATE, and other messages are refused here as OUTSIDE_WINDOW before any request.
"""

from __future__ import annotations

import datetime as dt
from typing import Awaitable, Callable

from bot.broadcasts.content import body_of, compose
from bot.runtime.config import WhatsAppSettings
from bot.runtime.outbox import Outbox, Outcome, Purpose, Undeliverable
from bot.runtime.ports import MessageRef, RelayItem
from bot.answers.replies import Reply
from bot.storage import Broadcast, DeliveryRepository, User, from_utc_iso
from bot.texts import Texts
from bot.channels.whatsapp.broadcast_text import whatsapp_text
from bot.channels.whatsapp.client import GraphClient
from bot.channels.whatsapp.limits import WHATSAPP_LIMITS, measure
from bot.channels.whatsapp.render import render, shorten, template_parameter

CHANNEL = "whatsapp"
WINDOW = dt.timedelta(hours=24)
TEMPLATE_LANGUAGE = {"es": "es_MX", "en": "en_US"}
# What each kind of relayed file becomes on WhatsApp, with the limits WhatsApp sets for it.
MEDIA = {"photo": ("image", WHATSAPP_LIMITS.image_types, WHATSAPP_LIMITS.image_bytes),
         "document": ("document", WHATSAPP_LIMITS.document_types, WHATSAPP_LIMITS.document_bytes),
         "voice": ("audio", WHATSAPP_LIMITS.audio_types, WHATSAPP_LIMITS.audio_bytes),
         "audio": ("audio", WHATSAPP_LIMITS.audio_types, WHATSAPP_LIMITS.audio_bytes),
         "video": ("video", WHATSAPP_LIMITS.video_types, WHATSAPP_LIMITS.video_bytes)}


class WhatsAppUserChannel:
    name = CHANNEL
    can_edit = False

    def __init__(self, client: GraphClient, outbox: Outbox, deliveries: DeliveryRepository,
                 texts: Texts, settings: WhatsAppSettings, *,
                 fetch_file: Callable[[str], Awaitable[bytes]] | None = None,
                 clock: Callable[[], dt.datetime] | None = None):
        self.client = client
        self.outbox = outbox
        self.deliveries = deliveries
        self.texts = texts
        self.settings = settings
        self.fetch_file = fetch_file
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))

    # ------------------------------------------------------------------ addressing and the window
    @staticmethod
    def window_closes(user: User) -> dt.datetime | None:
        """When the user's 24-hour window closes (None if they never wrote); the staff card shows it too."""
        return from_utc_iso(user.last_inbound_at) + WINDOW if user.last_inbound_at else None

    def window_open(self, user: User) -> bool:
        closes = self.window_closes(user)
        return closes is not None and self.clock() < closes

    async def _post(self, purpose: Purpose, user: User, message: dict, *, remember: bool = True) -> MessageRef:
        """Send to the user by phone (or by business-scoped id only); `remember=False` records nothing (the user
        asked to be forgotten a moment ago)."""
        key = user.external_id
        to = user.phone or (key if key.isdigit() else None)
        recipient = None if to else key   # known only by the business-scoped id
        try:
            wamid = await self.outbox.deliver(purpose, CHANNEL, key,
                                              lambda: self.client.send(to=to, recipient=recipient, message=message))
        except Undeliverable as exc:  # recorded for the health check (the last sends all failing = unhealthy)
            await self.deliveries.refused(channel=CHANNEL, code=exc.code, error=exc.reason)
            raise
        assert wamid is not None
        if remember:
            await self.deliveries.accepted(channel=CHANNEL, message_id=wamid, user_id=user.id)
        return MessageRef(CHANNEL, key, wamid)

    def _check_window(self, user: User) -> None:
        if not self.window_open(user):
            raise Undeliverable(Outcome.OUTSIDE_WINDOW, "the 24-hour window is closed")

    # ------------------------------------------------------------------ the UserChannel protocol
    async def send(self, user: User, reply: Reply, purpose: Purpose = Purpose.ANSWER, *,
                   remember: bool = True) -> list[MessageRef]:
        """A reply in as few messages as reads well: text, then reply buttons or a list (numbered past 10)."""
        self._check_window(user)
        return [await self._post(purpose, user, message, remember=remember)
                for message in render(reply, overflow="numbered")]

    async def replace(self, ref: MessageRef, reply: Reply) -> bool:
        return False  # WhatsApp cannot edit a sent message: the caller sends a new one

    async def edit_relayed(self, ref: MessageRef, item: RelayItem) -> bool:
        return False

    async def relay(self, user: User, item: RelayItem) -> MessageRef:
        """Staff -> user: the text, or the file uploaded to WhatsApp within its type and size limits."""
        self._check_window(user)
        chat = user.external_id
        if item.media_kind is None:
            text = (item.text or "").strip()
            if not text:
                raise Undeliverable(Outcome.REJECTED, "nothing to send (WhatsApp takes text, photos, documents, "
                                                      "voice notes, audio and video)")
            return await self._post(Purpose.RELAY_TO_USER, user, {"type": "text", "text": {"body": text[:4096]}})
        kind, types, limit = MEDIA.get(item.media_kind, (None, (), 0))
        mime = (item.mime_type or "").split(";")[0]
        if kind is None or mime not in types:
            raise Undeliverable(Outcome.REJECTED, f"WhatsApp does not take this kind of file ({item.media_kind}, "
                                                  f"{mime or 'unknown type'})")
        data = item.data
        if data is None:
            if self.fetch_file is None or item.file_ref is None:
                raise Undeliverable(Outcome.REJECTED, "the file could not be fetched")
            data = await self.fetch_file(item.file_ref)
        if len(data) > limit:
            raise Undeliverable(Outcome.REJECTED, f"the file is {len(data) // 1024} KB; WhatsApp takes up to "
                                                  f"{limit // (1024 * 1024)} MB for this kind")
        media_id = await self.outbox.deliver(Purpose.RELAY_TO_USER, CHANNEL, chat,
                                             lambda: self.client.upload(data, mime, item.file_name or "file"))
        body: dict = {"id": media_id}
        if item.text and kind in ("image", "document", "video"):
            body["caption"] = shorten(item.text, WHATSAPP_LIMITS.caption)
        if kind == "document":
            body["filename"] = item.file_name or "document"
        return await self._post(Purpose.RELAY_TO_USER, user, {"type": kind, kind: body})

    async def _broadcast(self, user: User, broadcast: Broadcast, language: str) -> MessageRef:
        """Inside the window a normal message; outside it the approved update template with the text on one line."""
        if self.window_open(user):
            text = whatsapp_text(compose(broadcast, language, self.texts))
            if broadcast.media_file_id and broadcast.media_kind in ("photo", "document") and self.fetch_file:
                item = RelayItem(MessageRef("telegram", "", ""), text=text, media_kind=broadcast.media_kind,
                                 file_ref=broadcast.media_file_id,
                                 mime_type="image/jpeg" if broadcast.media_kind == "photo" else "application/pdf")
                return await self.relay(user, item)
            return await self._post(Purpose.BROADCAST, user, {"type": "text", "text": {"body": text[:4096]}})
        return await self._post(Purpose.BROADCAST, user, self.update_template(broadcast, language))

    async def broadcast(self, user: User, broadcast: Broadcast, language: str) -> MessageRef:
        """_broadcast(), falling back to the template when WhatsApp says the window closed after all."""
        try:
            return await self._broadcast(user, broadcast, language)
        except Undeliverable as exc:
            if exc.outcome is not Outcome.OUTSIDE_WINDOW:
                raise
            return await self._post(Purpose.BROADCAST, user, self.update_template(broadcast, language))

    async def remind(self, user: User, reply: Reply, line: str) -> MessageRef:
        """Inside the window the reminder with its buttons; outside it the approved reminder template."""
        if self.window_open(user):
            try:
                return (await self.send(user, reply, Purpose.REMINDER))[-1]
            except Undeliverable as exc:
                if exc.outcome is not Outcome.OUTSIDE_WINDOW:
                    raise
        return await self._post(Purpose.REMINDER, user, self.reminder_template(line, reply.language))

    def reminder_template(self, line: str, language: str) -> dict:
        frame = self.texts(language, "wa.template.reminder", text="")
        text = template_parameter(line, WHATSAPP_LIMITS.template_body - measure(frame) - 8)
        return {"type": "template", "template": {
            "name": self.settings.reminder_template, "language": {"code": TEMPLATE_LANGUAGE.get(language, "es_MX")},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": text}]}]}}

    # ------------------------------------------------------------------ templates
    def update_parameter(self, broadcast: Broadcast, language: str) -> str:
        frame = self.texts(language, "wa.template.update", text="")
        text = whatsapp_text(body_of(broadcast, language))
        return template_parameter(text, WHATSAPP_LIMITS.template_body - measure(frame) - 8)

    def update_template(self, broadcast: Broadcast, language: str) -> dict:
        return {"type": "template", "template": {
            "name": self.settings.update_template, "language": {"code": TEMPLATE_LANGUAGE.get(language, "es_MX")},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": self.update_parameter(broadcast, language)}]}]}}

    async def reply_waiting(self, user: User, language: str) -> MessageRef:
        """Outside the window: the approved template that says a reply from the firm is waiting."""
        return await self._post(Purpose.NOTICE, user, {"type": "template", "template": {
            "name": self.settings.reply_template, "language": {"code": TEMPLATE_LANGUAGE.get(language, "es_MX")}}})

    async def mark_read(self, wamid: str, *, typing: bool = False) -> None:
        """The read receipt, with WhatsApp's typing indicator (shown until the reply, 25 s at most) when the bot
        itself is about to answer (not while a staff member has the chat)."""
        await self.outbox.quietly(Purpose.ACK, CHANNEL, None, lambda: self.client.mark_read(wamid, typing=typing))
