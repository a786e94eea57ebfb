"""Handing a conversation to a person: office hours, what the user is told, and the staff's context card."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.knowledge.catalogue import Catalogue, Hours
from bot.answers.replies import Block, Reply, Style
from bot.languages import STAFF_LANGUAGE
from bot.storage import Conversation, QuestionRecord, from_utc_iso
from bot.texts import Texts

DEFAULT_RELEASE_MINUTES = 120
CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "terminal": "terminal"}


def next_opening(now: dt.datetime, hours: Hours) -> dt.datetime | None:
    """None while the office is open; otherwise when it next opens (in the office's time zone)."""
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    if local.isoweekday() in hours.days and hours.open <= local.time() < hours.close:
        return None
    for days_ahead in range(0, 8):
        day = local.date() + dt.timedelta(days=days_ahead)
        if day.isoweekday() in hours.days:
            opening = dt.datetime.combine(day, hours.open, tzinfo=zone)
            if opening > local:
                return opening
    return None


def hours_text(texts: Texts, lang: str, hours: Hours) -> str:
    return f"{texts.weekdays(lang, hours.days)} {hours.open.strftime('%H:%M')}–{hours.close.strftime('%H:%M')}"


def requested_reply(texts: Texts, lang: str, hours: Hours | None, now: dt.datetime) -> Reply:
    """What the user is told when a person is on the way: the hours and when to expect a reply if closed, once the
    firm has confirmed its hours; until then only "as soon as possible" (an assumption is never shown as fact)."""
    if hours is None:
        return Reply((Block(Style.TEXT, (texts(lang, "handoff.asap"),)),), (), lang)
    opening = next_opening(now, hours)
    span = hours_text(texts, lang, hours)
    if opening is None:
        text = texts(lang, "handoff.open", hours=span)
    else:
        when = f"{texts.weekdays(lang, (opening.isoweekday(),))} {opening.day} " \
               f"{texts.tables[lang]['months'][opening.month - 1]} {opening.strftime('%H:%M')}"
        text = texts(lang, "handoff.closed", hours=span, when=when)
    return Reply((Block(Style.TEXT, (text,)),), (), lang)


@dataclass(frozen=True)
class CardFacts:
    """What staff need at a glance about the user in a topic."""

    name: str
    username: str | None
    language: str
    channel: str
    user_id: str
    subscribed: bool
    recent: tuple[QuestionRecord, ...]
    conversation: Conversation
    extra: tuple[str, ...] = ()     # channel facts (WhatsApp: phone, 24-hour window)


def _local(iso: str | None, zone: str) -> str:
    if not iso:
        return "-"
    moment = from_utc_iso(iso)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def context_card(facts: CardFacts, texts: Texts, catalogue: Catalogue) -> Reply:
    """The first message of a user's topic; every piece of user text is escaped when rendered."""
    t, lang = texts, STAFF_LANGUAGE
    zone = catalogue.firm.timezone
    conv = facts.conversation
    lines = []
    if facts.username:
        lines.append(t(lang, "card.username", username=facts.username))
    lines.append(t(lang, "card.language", language=facts.language, channel=CHANNEL_NAMES.get(facts.channel,
                   facts.channel), user_id=facts.user_id))
    lines.extend(facts.extra)
    lines.append(t(lang, "card.subscribed", answer=t(lang, "answer.yes" if facts.subscribed else "answer.no")))
    asked = [catalogue.get(q.entry_id).name.get(lang) for q in facts.recent if q.entry_id in catalogue.entries]
    if asked:
        lines.append(t(lang, "card.procedures", names=", ".join(dict.fromkeys(asked))))
    if conv.status == "human":
        status = t(lang, "card.taken", owner=conv.owner_name or "?", when=_local(conv.taken_at, zone))
    elif conv.status == "requested":
        status = t(lang, "card.waiting", when=_local(conv.requested_at, zone))
    else:
        status = t(lang, "card.bot")
    blocks = [Block(Style.TITLE, (t(lang, "card.title", name=facts.name),)), Block(Style.BULLETS, tuple(lines)),
              Block(Style.TEXT, (status,))]
    if facts.recent:
        recent = []
        for q in facts.recent:
            answer = (catalogue.get(q.entry_id).name.get(lang) if q.entry_id in catalogue.entries
                      else t(lang, "card.no_match"))
            question = q.text if len(q.text) <= 120 else q.text[:117] + "…"
            recent.append(t(lang, "card.recent_line", question=question, answer=answer))
        blocks += [Block(Style.HEADING, (t(lang, "card.recent"),)), Block(Style.BULLETS, tuple(recent))]
    return Reply(tuple(blocks), (), lang)
