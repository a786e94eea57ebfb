"""The user's own deadlines: read a date from a message (or a button), work out their window, schedule and list
reminders. Channel-neutral: takes a stored user and plain values, returns replies; the rules come from knowledge
(bot/knowledge/window_rules.py), the arithmetic from bot/deadlines/windows.py, the wording from bot/deadlines/replies.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from bot.knowledge.catalogue import Entry
from bot.clock import MEXICO_CITY, Clock, local_today
from bot.deadlines.dates import find_date, leftover_words, show
from bot.answers.engine import Engine
from bot.storage import ReminderRepository, User
from bot.answers.text import fold, phrase_pattern
from bot.knowledge.window_rules import Given
from bot.deadlines.replies import WindowComposer, given_kinds
from bot.deadlines.windows import REMIND_AT, DateProblem, ReminderKind, Window, check_given, window_for
from bot.answers.replies import Reply

log = logging.getLogger(__name__)
BARE_DATE_WORDS = 3       # "el 15/03/2027", "march 15 2027 i think": a date answering the bot's question
# An expiry date is a renewal's, unless the user is at year 4 / going permanent: then it is this procedure's window
PERMANENT = "temporal_a_permanente"


@dataclass(frozen=True)
class Dated:
    """A message's date read as one procedure's date: the reply about the window, and what to remember."""

    reply: Reply
    entry_id: str | None = None
    given: Given | None = None
    day: dt.date | None = None


def remind_at(day: dt.date) -> dt.datetime:
    """09:00 Mexico City time on that day, as an aware moment."""
    return dt.datetime.combine(day, REMIND_AT, tzinfo=MEXICO_CITY)


class Deadlines:
    def __init__(self, engine: Engine, reminders: ReminderRepository, clock: Clock):
        self.engine = engine
        self.reminders = reminders
        self.clock = clock
        # the cue words of both languages, one pattern per kind of date, "past", and "permanent" (at year 4)
        tables = engine.texts.tables
        self._cues = {name: phrase_pattern((cue for lang in ("es", "en") for cue in tables[lang].get(
                          f"window.cues.{name}", [])), prefix=True)
                      for name in (*(given.value for given in Given), "past", "permanent")}
        # "renew" as a whole word: "I want to renew" keeps a renewal, "I renewed three times" does not
        self._renewal = phrase_pattern(cue for lang in ("es", "en")
                                       for cue in tables[lang].get("window.cues.renewal", []))

    @property
    def composer(self) -> WindowComposer:
        return WindowComposer(self.engine.catalogue, self.engine.texts)

    def today(self) -> dt.date:
        return local_today(self.clock)

    # ------------------------------------------------------------------ reading a message
    def _has_cue(self, folded: str, name: str) -> bool:
        pattern = self._cues.get(name)
        return pattern is not None and pattern.search(folded) is not None

    def _cued(self, folded: str) -> list[Given]:
        """Kinds of date the message's words point to ("vence" -> an expiry, "llegué" -> an arrival)."""
        return [given for given in Given if self._has_cue(folded, given.value)]

    def _entry_for(self, folded: str, matched: str | None, thread: str | None, bare: bool,
                   arrival: bool = False) -> Entry | None:
        """Whose window the date is for: the procedure matched, the one its words point to, or the thread's; an
        expiry date at year 4 (said now, or the change to permanent under discussion) is that change's, not a
        renewal's."""
        return self._at_year_four(self._entry_by_words(folded, matched, thread, bare, arrival), folded, thread)

    def _entry_by_words(self, folded: str, matched: str | None, thread: str | None, bare: bool,
                        arrival: bool = False) -> Entry | None:
        entries = self.engine.catalogue.entries
        by_given = given_kinds(self.engine.catalogue)
        matched_entry = entries.get(matched) if matched else None
        cued = self._cued(folded)
        if arrival and Given.ENTRY_DATE not in cued:   # "we land on 15 January", "llegué el 3": an entry date
            cued.append(Given.ENTRY_DATE)
        if matched_entry is not None and matched_entry.window is not None and \
                (matched_entry.window.given in cued or bare):
            return matched_entry
        cued_entry = by_given.get(cued[0]) if cued else None
        if matched_entry is not None and matched_entry.window is None and not bare:
            # "I arrived on 10 Nov as a tourist, can I change to resident?", "my card expired 3 months ago" (the
            # regularisation), "ayer no llegué a mi cita" (appointments): that answer, not a window
            return None
        if cued_entry is not None:
            return cued_entry
        thread_entry = entries.get(thread) if thread else None
        if bare and thread_entry is not None and thread_entry.window is not None:
            return thread_entry
        return None

    def _at_year_four(self, entry: Entry | None, folded: str, thread: str | None) -> Entry | None:
        """"Mi tarjeta vence el 10 de octubre y ya cumplo 4 años", or the same date while the change to permanent is
        under discussion (unless this message asks to renew): the change to permanent's window, not a renewal's."""
        permanent = self.engine.catalogue.entries.get(PERMANENT)
        if entry is None or permanent is None or entry is permanent or permanent.window is None \
                or entry.window is None or entry.window.given is not permanent.window.given:
            return entry
        if self._has_cue(folded, "permanent"):
            return permanent
        asks_to_renew = self._renewal is not None and self._renewal.search(folded) is not None
        return permanent if thread == permanent.id and not asks_to_renew else entry

    async def read(self, user: User, text: str, lang: str, *, matched: str | None,
                   thread: str | None, visitor_document: bool = False, arrival: str | None = None,
                   planned: bool = False) -> Dated | None:
        """A reply about the user's window when the message gives a date for one; None otherwise.

        `visitor_document`: the user holds an FMM, whose expiry is never a resident card's. `arrival`: the message
        speaks of arriving ("planned" or "done"); `planned`: the user said earlier they have not arrived yet, so
        an entry date is read ahead ("jan 15" is next January) and a future one is a plan, not a mistake."""
        if not isinstance(text, str) or not text.strip():
            return None
        today = self.today()
        # which side of today to read "10 de noviembre" on depends on the kind of date: find the entry first
        probe = find_date(text, lang, today)
        if probe is None:
            return None
        bare = leftover_words(text, probe.fragment) <= BARE_DATE_WORDS
        folded = fold(text)
        entry = self._entry_for(folded, matched, thread, bare, arrival is not None)
        if entry is not None and visitor_document and entry.window is not None \
                and entry.window.given is Given.CARD_EXPIRY:
            return None   # "mi FMM vence el 5 de febrero": a visitor's document, not a resident card
        if entry is None:
            if not bare:
                return None
            # a bare date and nothing under discussion: what is it? (03/04 read the way the user's language writes it)
            return Dated(self.composer.which(probe.other if probe.other and lang == "en" else probe.date, lang))
        assert entry.window is not None
        ahead = entry.window.given is Given.ENTRY_DATE and (arrival == "planned" or (planned and arrival is None))
        past = (entry.window.given.in_past and not ahead) or self._has_cue(folded, "past")  # "expired on 1 Nov"
        found = (find_date(text, lang, today, prefer_past=True) or probe) if past else probe  # the probe read ahead
        if found.other is not None:
            return Dated(self.composer.ambiguous(entry.id, found.date, found.other, lang))
        reply = await self.confirm(user, entry.id, found.date, lang, planned=ahead)
        return Dated(reply, entry.id, entry.window.given, found.date)

    def with_known_date(self, reply: Reply, entry_id: str | None, dates: dict[str, str], lang: str) -> Reply:
        """A procedure's answer for a user who already gave the date its window needs: instead of asking for it
        again ("tell me the date your card expires…"), the window that date gives and where today stands."""
        entry = self.engine.catalogue.entries.get(entry_id) if entry_id else None
        if entry is None or entry.window is None or entry.window.given.value not in dates:
            return reply
        asked = self.engine.texts(lang, f"window.ask.{entry.window.given.value}")
        if not any(asked in block.lines for block in reply.blocks):
            return reply
        given = dt.date.fromisoformat(dates[entry.window.given.value])
        window = window_for(entry.id, entry.window, given)
        composer, today = self.composer, self.today()
        known = (self.engine.texts(lang, f"window.given.{entry.window.given.value}", date=show(given, lang)),
                 composer.dates_line(window, lang), composer.status_line(window, today, lang))
        blocks = tuple(dataclasses.replace(block, lines=tuple(line for old in block.lines
                                                              for line in (known if old == asked else (old,))))
                       for block in reply.blocks)
        return Reply(blocks, reply.buttons, reply.language)

    # ------------------------------------------------------------------ buttons
    async def confirm(self, user: User, entry_id: str, given: dt.date, lang: str | None = None, *,
                      planned: bool = False) -> Reply:
        """The user's date for that procedure: kept (staff see it), answered with the window. `planned`: an
        arrival still ahead is the user's plan, answered with the window it will give."""
        entry = self.engine.catalogue.entries.get(entry_id)
        lang = lang or user.language
        if entry is None or entry.window is None:
            return self.composer.refused("stale.button", lang)
        today = self.today()
        problem = check_given(entry.window, given, today)
        if problem is DateProblem.IMPLAUSIBLE:
            return self.composer.refused("window.implausible", lang, date=show(given, lang))
        if problem is DateProblem.IN_FUTURE and not planned:
            return self.composer.refused("window.in_future", lang, date=show(given, lang))
        await self.reminders.save_deadline(user_id=user.id, entry_id=entry.id, given=given, now=self.clock.now())
        return self.composer.window(entry, window_for(entry.id, entry.window, given), today, lang,
                                    planned=planned and given > today)

    async def remind(self, user: User, entry_id: str, given: dt.date, *, delivered: bool) -> Reply:
        """Schedule the window's reminders (at 09:00 Mexico City time); asking twice schedules nothing twice."""
        entry = self.engine.catalogue.entries.get(entry_id)
        lang = user.language
        if entry is None or entry.window is None or check_given(entry.window, given, self.today()) is not None:
            return self.composer.refused("stale.button", lang)
        window = window_for(entry.id, entry.window, given)
        days = window.reminder_days(self.today())
        await self.reminders.save_deadline(user_id=user.id, entry_id=entry.id, given=given, now=self.clock.now())
        await self.reminders.schedule(user_id=user.id, entry_id=entry.id, given=given,
                                      moments=[(kind.value, remind_at(day)) for kind, day in days],
                                      now=self.clock.now())
        return self.composer.scheduled(days, lang, delivered=delivered)

    async def listing(self, user: User, *, delivered: bool) -> Reply:
        items = []
        for reminder in await self.reminders.for_user(user_id=user.id):
            entry = self.engine.catalogue.entries.get(reminder.entry_id)
            if entry is not None:
                items.append((reminder.id, entry, ReminderKind(reminder.kind),
                              reminder.due_at.astimezone(MEXICO_CITY).date()))
        return self.composer.listing(items, user.language, delivered=delivered)

    async def cancel(self, user: User, reminder_id: int, *, delivered: bool) -> Reply:
        cancelled = await self.reminders.cancel(user_id=user.id, reminder_id=reminder_id, now=self.clock.now())
        listing = await self.listing(user, delivered=delivered)
        note = self.composer.refused("reminders.cancelled" if cancelled else "reminders.gone", user.language)
        return Reply(note.blocks + listing.blocks, listing.buttons, user.language)

    # ------------------------------------------------------------------ staff
    async def windows(self, user: User) -> list[tuple[Entry, Window]]:
        """The user's stored dates as windows."""
        found = []
        for deadline in await self.reminders.deadlines(user_id=user.id):
            entry = self.engine.catalogue.entries.get(deadline.entry_id)
            if entry is not None and entry.window is not None:
                found.append((entry, window_for(entry.id, entry.window, deadline.given)))
        return found

    async def card_lines(self, user: User, lang: str) -> tuple[str, ...]:
        """One line for the staff's context card: each procedure's window and where today stands in it."""
        t, today = self.engine.texts, self.today()
        parts = [t(lang, "card.deadline_line", name=entry.name.get(lang), opens=show(window.opens, lang),
                   closes=show(window.closes, lang) if window.closes else "…",
                   status=t(lang, f"card.status.{window.status(today).value}"))
                 for entry, window in await self.windows(user)]
        return (t(lang, "card.deadlines", lines="; ".join(parts)),) if parts else ()
