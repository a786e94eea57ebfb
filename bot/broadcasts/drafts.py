"""The staff's broadcast draft, step by step: texts, media, audience, preview, send or schedule. Channel-neutral.

The draft lives in the database (a broadcast row in status 'draft'), so a restart while writing loses nothing.
Drafts are written in a private chat with the bot or in the staff group's General topic, never in a customer's
topic (the caller checks where); nothing typed for a draft is relayed to anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.actions import Action, Parsed
from bot.broadcasts.sender import Broadcaster
from bot.broadcasts.content import Body, Step, limit_for, mexico_time, parse_when, too_long
from bot.handoff.messages import CHANNEL_NAMES
from bot.runtime.ports import StaffDesk
from bot.answers.replies import Block, Button, Reply, Style
from bot.storage import Broadcast, BroadcastRepository, utc_iso
from bot.conversation.subscriptions import Subscriptions
from bot.texts import Texts


@dataclass(frozen=True)
class Where:
    """Where a staff member is writing: a chat and, in a forum, a topic."""

    chat: str
    thread: str | None = None


class Drafts:
    def __init__(self, repo: BroadcastRepository, subscriptions: Subscriptions, desk: StaffDesk, texts: Texts,
                 broadcaster: Broadcaster, channels: dict | None = None):
        self.channels = channels or {}
        self.repo = repo
        self.subscriptions = subscriptions
        self.desk = desk
        self.texts = texts
        self.broadcaster = broadcaster
        self.owners: set[tuple[str, str]] = set()   # (staff id, chat) with a draft open: ordinary messages skip SQL

    async def load(self) -> None:
        self.owners = {(b.created_by, b.chat_id) for b in await self.repo.by_status("draft")}

    def waiting(self, staff_id: str, chat: str) -> bool:
        return (staff_id, chat) in self.owners

    async def _say(self, where: Where, lang: str, key: str, *buttons: Button, **values: object) -> None:
        text = self.texts(lang, key, **values)
        await self.desk.say(where.chat, where.thread, Reply((Block(Style.TEXT, (text,)),), buttons, lang))

    def _cancel(self, lang: str, broadcast_id: int) -> Button:
        return Button(self.texts(lang, "bc.cancel"), Action.draft("cancel", broadcast_id))

    # ------------------------------------------------------------------ steps
    async def start(self, staff_id: str, where: Where, lang: str) -> None:
        draft = await self.repo.create_draft(created_by=staff_id, chat_id=where.chat, thread_id=where.thread,
                                             step=Step.TEXT_ES.value)
        self.owners.add((staff_id, where.chat))
        await self._say(where, lang, "bc.ask_es", Button(self.texts(lang, "bc.same_text"),
                                                         Action.draft("both", draft.id)),
                        self._cancel(lang, draft.id), id=draft.id)

    async def on_input(self, staff_id: str, where: Where, lang: str, *, text: Body | None,
                       media: tuple[str, str] | None) -> bool:
        """A staff member's message while their draft waits for text, a file or a time; False if not for it.

        The text comes in the neutral form (formatting kept) and is stored so; each channel renders it its way."""
        if not self.waiting(staff_id, where.chat):
            return False
        draft = await self.repo.open_draft(created_by=staff_id, chat_id=where.chat)
        if draft is None or draft.draft_step in (Step.AUDIENCE.value, Step.PREVIEW.value):
            return False
        step = Step(draft.draft_step)
        if step in (Step.TEXT_ES, Step.TEXT_EN, Step.TEXT_BOTH):
            if text is None or not text.text.strip():
                await self._say(where, lang, "bc.empty_text")
                return True
            stored = text.dumps()
            fields = {"text_es": stored, "text_en": stored} if step is Step.TEXT_BOTH else {step.value: stored}
            next_step = Step.TEXT_EN if step is Step.TEXT_ES else Step.MEDIA
            await self.repo.update(draft.id, draft_step=next_step.value, **fields)
            if next_step is Step.TEXT_EN:
                await self._say(where, lang, "bc.ask_en", self._cancel(lang, draft.id))
            else:
                await self._ask_media(where, lang, draft.id)
        elif step is Step.MEDIA:
            if media is None:
                await self._ask_media(where, lang, draft.id)
                return True
            await self.repo.update(draft.id, media_kind=media[0], media_file_id=media[1])
            await self._after_media(where, lang, draft.id)
        elif step is Step.SCHEDULE:
            when = parse_when(text.text if text is not None else "", dt.datetime.now(dt.timezone.utc))
            if when is None:
                await self._say(where, lang, "bc.bad_time")
                return True
            await self.repo.update(draft.id, status="scheduled", draft_step=None, scheduled_at=utc_iso(when))
            self.owners.discard((draft.created_by, draft.chat_id))
            count = await self.repo.audience_size(draft.audience or "subscribers")
            await self._say(where, lang, "bc.scheduled", id=draft.id, when=mexico_time(utc_iso(when)), count=count)
            self.broadcaster.wake()
        return True

    async def _ask_media(self, where: Where, lang: str, broadcast_id: int) -> None:
        await self._say(where, lang, "bc.ask_media", Button(self.texts(lang, "bc.skip_media"),
                                                            Action.draft("skip", broadcast_id)),
                        self._cancel(lang, broadcast_id))

    async def _after_media(self, where: Where, lang: str, broadcast_id: int) -> None:
        """Check the lengths (captions are shorter), then ask for the audience."""
        draft = await self.repo.get(broadcast_id)
        assert draft is not None
        problem = too_long(draft, self.texts)
        if problem is not None:
            language, length = problem
            step = Step.TEXT_BOTH if draft.text_es == draft.text_en else Step(f"text_{language}")
            await self.repo.update(broadcast_id, draft_step=step.value)
            why = self.texts(lang, "bc.too_long_media") if draft.media_file_id else ""
            await self._say(where, lang, "bc.too_long", self._cancel(lang, broadcast_id), length=length,
                            limit=limit_for(draft), why=why)
            return
        await self.repo.update(broadcast_id, draft_step=Step.AUDIENCE.value)
        buttons = [Button(self.texts(lang, "bc.audience_all", count=await self.repo.audience_size("subscribers")),
                          Action.draft("aud", broadcast_id, "subscribers"))]
        for topic in self.subscriptions.topics:
            count = await self.repo.audience_size(topic)
            if count:
                label = self.texts(lang, "bc.audience_topic", topic=self.subscriptions.label(topic, lang), count=count)
                buttons.append(Button(label, Action.draft("aud", broadcast_id, topic)))
        await self._say(where, lang, "bc.ask_audience", *buttons, self._cancel(lang, broadcast_id))

    async def _preview(self, where: Where, lang: str, draft: Broadcast) -> None:
        """Exactly what subscribers will see, in each language, then the number of recipients and the choice."""
        count = await self.repo.audience_size(draft.audience or "subscribers")
        await self._say(where, lang, "bc.preview_header", id=draft.id, count=count)
        languages = ("es",) if draft.text_es == draft.text_en else ("es", "en")
        await self._channel_preview(where, lang, draft, languages)
        for language in languages:
            if len(languages) > 1:
                await self._say(where, lang, "bc.preview_language",
                                language="español" if language == "es" else "English")
            await self.desk.preview(where.chat, where.thread, draft, language)
        await self._say(where, lang, "bc.preview_confirm", Button(self.texts(lang, "bc.confirm"),
                                                                  Action.draft("go", draft.id)),
                        Button(self.texts(lang, "bc.schedule"), Action.draft("later", draft.id)),
                        self._cancel(lang, draft.id), id=draft.id, count=count)

    async def _channel_preview(self, where: Where, lang: str, draft: Broadcast, languages: tuple[str, ...]) -> None:
        """Recipients per channel and, on WhatsApp, how many get the approved template and the text they will see."""
        whatsapp = self.channels.get("whatsapp")
        by_channel = await self.repo.audience_by_channel(draft.audience or "subscribers")
        if whatsapp is None or not by_channel.get("whatsapp"):
            return
        cutoff = utc_iso(dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=24))
        templates = await self.repo.audience_silent_since(draft.audience or "subscribers", "whatsapp", cutoff)
        names = ", ".join(f"{CHANNEL_NAMES.get(name, name)}: {n}" for name, n in sorted(by_channel.items()))
        await self._say(where, lang, "bc.preview_channels", channels=names, templates=templates)
        for language in languages:
            await self._say(where, lang, "wa.template.update", text=whatsapp.update_parameter(draft, language))
        if templates:  # Meta delivers no Marketing template to +1 (US) numbers; the bot cannot see the category
            us = await self.repo.audience_silent_since(draft.audience or "subscribers", "whatsapp", cutoff,
                                                       phone_prefix="1")
            if us:
                await self._say(where, lang, "bc.preview_us_numbers", count=us,
                                template=whatsapp.settings.update_template)

    async def on_button(self, where: Where, lang: str, action: Parsed) -> None:
        """Buttons of the draft: one text for both, skip media, audience, send now, schedule, cancel."""
        draft = await self.repo.get(action.target or 0)
        if draft is None or draft.status != "draft":
            return
        verb = action.value
        if verb == "cancel":
            await self.repo.update(draft.id, status="cancelled", draft_step=None)
            self.owners.discard((draft.created_by, draft.chat_id))
            await self._say(where, lang, "bc.cancelled", id=draft.id)
        elif verb == "both" and draft.draft_step == Step.TEXT_ES.value:
            await self.repo.update(draft.id, draft_step=Step.TEXT_BOTH.value)
            await self._say(where, lang, "bc.ask_both", self._cancel(lang, draft.id))
        elif verb == "skip" and draft.draft_step == Step.MEDIA.value:
            await self._after_media(where, lang, draft.id)
        elif verb == "aud" and action.extra and draft.draft_step == Step.AUDIENCE.value:
            if await self.repo.audience_size(action.extra) == 0:
                await self._say(where, lang, "bc.no_recipients")
                return
            await self.repo.update(draft.id, audience=action.extra, draft_step=Step.PREVIEW.value)
            refreshed = await self.repo.get(draft.id)
            assert refreshed is not None
            await self._preview(where, lang, refreshed)
        elif verb == "go" and draft.draft_step == Step.PREVIEW.value:
            await self.repo.start(draft.id)
            self.owners.discard((draft.created_by, draft.chat_id))
            self.broadcaster.wake()
        elif verb == "later" and draft.draft_step == Step.PREVIEW.value:
            await self.repo.update(draft.id, draft_step=Step.SCHEDULE.value)
            await self._say(where, lang, "bc.ask_time", self._cancel(lang, draft.id))
