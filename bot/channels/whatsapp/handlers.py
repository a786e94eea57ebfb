"""Stored WhatsApp updates into the services: messages to the conversation or the staff, statuses to the outbox's
records. Thin on purpose: words, buttons, lists and media all go through the front door (bot/conversation/turn.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.conversation.turn import FrontDoor, Inbound as FrontInbound, Turn
from bot.handoff.service import Handoff
from bot.runtime.outbox import Undeliverable
from bot.runtime.ports import MessageRef, RelayItem
from bot.storage import InboxItem, Storage, User, utc_iso
from bot.channels.whatsapp.channel import CHANNEL, WhatsAppUserChannel
from bot.channels.whatsapp.classify import OUTSIDE_WINDOW, UNREACHABLE
from bot.channels.whatsapp.client import GraphError
from bot.channels.whatsapp.updates import Inbound, Kind, parse_webhook

log = logging.getLogger(__name__)
MEDIA_KIND = {"image": "photo", "audio": "audio", "video": "video", "document": "document", "sticker": "sticker"}


def iso(timestamp: int | None) -> str:
    """A message's unix timestamp as stored (it starts the user's 24-hour window)."""
    return utc_iso(dt.datetime.fromtimestamp(timestamp, dt.timezone.utc) if timestamp
                   else dt.datetime.now(dt.timezone.utc))


class WhatsAppHandlers:
    def __init__(self, storage: Storage, front: FrontDoor, handoff: Handoff, channel: WhatsAppUserChannel):
        self.storage = storage
        self.front = front
        self.handoff = handoff
        self.channel = channel

    async def handle(self, item: InboxItem) -> None:
        batch = parse_webhook(item.payload)
        for status in batch.statuses:
            error = status.errors[0] if status.errors else None
            reason = f"{error.code}: {error.title or error.message or ''}".strip() if error else None
            await self.storage.deliveries.report(channel=CHANNEL, message_id=status.wamid, status=status.status,
                                                 error=reason)
            if status.status == "failed" and error is not None and error.code in UNREACHABLE:
                user_id = await self.storage.deliveries.user_of(CHANNEL, status.wamid)
                user = await self.storage.users.get_user(user_id) if user_id is not None else None
                if user is not None:
                    await self.front.unreachable_user(user)
            if status.status == "failed" and error is not None and error.code == OUTSIDE_WINDOW:
                await self._late_window_failure(status.wamid)
        for message in batch.messages:
            await self._message(message)

    async def _message(self, message: Inbound) -> None:
        key = message.sender.key
        if key is None or message.kind is Kind.REACTION:
            return
        if message.kind is Kind.SYSTEM:
            await self._identity(message)
            return
        wa_id = message.sender.wa_id
        users = self.storage.users
        if wa_id and wa_id != key and await users.find_user(channel=CHANNEL, external_id=key) is None \
                and await users.find_user(channel=CHANNEL, external_id=wa_id) is not None:
            # known by phone until now; Meta now also gives the business-scoped id: one person, one history
            await users.rekey(channel=CHANNEL, old=wa_id, new=key, phone=wa_id)
            await self.handoff.reload()
        await self.channel.mark_read(message.wamid, typing=not self.handoff.has_person_at(CHANNEL, key))
        text = message.text if message.kind is Kind.TEXT else None
        action = message.choice_id if message.kind in (Kind.BUTTON, Kind.LIST) else None
        turn = await self.front.take(FrontInbound(
            CHANNEL, key, text=text, action=action,
            media_kind=None if text is not None or action is not None else (message.raw_type or "media"),
            relay=lambda: self._relay_item(message), at_iso=iso(message.timestamp), phone=wa_id,
            display_name=message.sender.name, username=message.sender.username))
        await self._send(turn)

    async def _send(self, turn: Turn) -> None:
        """The turn's replies in order; a button notice (a person has the chat) is a message here."""
        if turn.user is None:
            return
        replies = turn.replies
        if turn.notice:
            replies = [self.front.composer.simple(turn.user.language, "handoff.busy")] + replies
        for reply in replies:
            try:
                await self.channel.send(turn.user, reply, remember=not turn.forgotten)
            except Undeliverable:
                return  # logged by the outbox

    async def _late_window_failure(self, wamid: str) -> None:
        """Meta accepted a staff reply, then reported 131047: the user gets the reply template, the topic is told."""
        user_id = await self.storage.deliveries.user_of(CHANNEL, wamid)
        user = await self.storage.users.get_user(user_id) if user_id is not None else None
        if user is None:
            return
        link = await self.storage.handoff.by_user_message(CHANNEL, user.external_id, wamid)
        if link is not None and link.direction == "out":
            await self.handoff.relay_expired(user, link.staff_chat_id, link.staff_message_id)

    async def _relay_item(self, message: Inbound) -> RelayItem:
        """What the staff get: the text, the tapped choice, or the file, downloaded now (media ids expire)."""
        source = MessageRef(CHANNEL, message.sender.key or "", message.wamid)
        if message.kind is Kind.MEDIA and message.media is not None:
            media = message.media
            try:
                data, mime = await self.channel.client.download(media.media_id)
            except (GraphError, OSError) as exc:
                log.warning("WhatsApp media %s could not be downloaded: %s", media.kind, exc)
                return RelayItem(source, text=f"[{media.kind}: could not be downloaded] {media.caption or ''}".strip())
            kind = "voice" if media.voice else MEDIA_KIND.get(media.kind, "document")
            return RelayItem(source, text=media.caption, media_kind=kind, mime_type=mime or media.mime_type,
                             file_name=media.filename, data=data)
        if message.kind is Kind.LOCATION and message.location is not None:
            place = message.location
            text = f"📍 {place.name or ''} {place.address or ''} https://maps.google.com/?q={place.latitude},{place.longitude}"
            return RelayItem(source, text=" ".join(text.split()))
        text = message.text or message.choice_title or f"[{message.raw_type or 'message'}]"
        return RelayItem(source, text=text)

    async def _identity(self, message: Inbound) -> None:
        """user_changed_number / user_changed_user_id: the user's history moves to the new id."""
        change = message.system
        if change is None:
            return
        old = change.previous_user_id or message.sender.key
        if change.type == "user_changed_number":
            user = await self._find(old, message.sender.wa_id)
            if user is None:
                return
            new_key = change.new_user_id or (change.new_wa_id if user.external_id == user.phone else user.external_id)
            if new_key and new_key != user.external_id:
                await self.storage.users.rekey(channel=CHANNEL, old=user.external_id, new=new_key,
                                               phone=change.new_wa_id)
            elif change.new_wa_id:
                await self.storage.users.saw_message(user_id=user.id, at_iso=user.last_inbound_at or iso(None),
                                                     phone=change.new_wa_id)
        elif change.type == "user_changed_user_id" and change.new_user_id:
            user = await self._find(old, message.sender.wa_id)
            if user is not None:
                await self.storage.users.rekey(channel=CHANNEL, old=user.external_id, new=change.new_user_id)
        await self.handoff.reload()

    async def _find(self, key: str | None, wa_id: str | None) -> User | None:
        for candidate in (key, wa_id):
            if candidate:
                user = await self.storage.users.find_user(channel=CHANNEL, external_id=candidate)
                if user is not None:
                    return user
        return None
