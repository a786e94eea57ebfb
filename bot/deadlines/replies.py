"""Replies about a user's own window: the dates, where today stands, what to do if it was missed, the reminder
offer, the reminder list and the reminder itself. Pure: callers pass today and what is stored.
"""

from __future__ import annotations

import datetime as dt

from bot.actions import Action
from bot.knowledge.catalogue import Catalogue, Entry
from bot.deadlines.dates import show
from bot.answers.replies import Block, Button, Reply, Style
from bot.texts import Texts
from bot.knowledge.window_rules import Given, Unit
from bot.deadlines.holidays import Closure, offices_may_be_closed
from bot.deadlines.windows import ReminderKind, Status, Window


class WindowComposer:
    def __init__(self, catalogue: Catalogue, texts: Texts):
        self.catalogue = catalogue
        self.t = texts

    def _name(self, entry: Entry, lang: str) -> str:
        return entry.name.get(lang)

    def dates_line(self, window: Window, lang: str) -> str:
        """'from 13 February to 15 March 2027', 'until 10 December 2026', 'from 5 May 2027'."""
        if window.closes is None:
            return self.t(lang, "window.from", opens=show(window.opens, lang))
        if window.opens == window.given:
            return self.t(lang, "window.until", closes=show(window.closes, lang))
        return self.t(lang, "window.range", opens=show(window.opens, lang, year=window.opens.year != window.closes.year),
                      closes=show(window.closes, lang))

    def status_line(self, window: Window, today: dt.date, lang: str) -> str:
        status = window.status(today)
        if status is Status.MISSED:
            return self.t(lang, "window.status.missed", closes=show(window.closes, lang))
        if status is Status.UPCOMING:
            return self.t(lang, "window.status.upcoming", days=(window.opens - today).days)
        if window.closes is None:
            return self.t(lang, "window.status.open_no_end")
        left = window.days_left(today)
        if left == 0:
            return self.t(lang, "window.status.last_day")
        key = "window.status.closing_soon" if status is Status.CLOSING_SOON else "window.status.open"
        return self.t(lang, key, days=left)

    def _uncertain(self, entry: Entry, lang: str) -> str:
        return self.t(lang, "window.uncertain", date=self.t.date(lang, entry.reviewed))

    def window(self, entry: Entry, window: Window, today: dt.date, lang: str, *, planned: bool = False) -> Reply:
        """The user's window with the offer of reminders (or, once missed, what to do now); `planned`: the date is
        an arrival the user plans ("we land on 15 January")."""
        rule = entry.window
        assert rule is not None
        given_key = "window.given.planned_entry" if planned else f"window.given.{rule.given.value}"
        blocks = [Block(Style.TITLE, (self._name(entry, lang),)),
                  Block(Style.TEXT, (self.t(lang, given_key, date=show(window.given, lang)),
                                     self.dates_line(window, lang), self.status_line(window, today, lang)))]
        notes = []
        if window.uncertain:
            notes.append(self._uncertain(entry, lang))
        if Unit.BUSINESS_DAYS in (rule.opens.unit, rule.closes.unit if rule.closes else None):
            notes.append(self.t(lang, "window.business_days"))
        buttons: list[Button] = []
        if window.status(today) is Status.MISSED:
            blocks.append(Block(Style.TEXT, (self.t(lang, "window.missed.next"), self.t(lang, "window.missed.firm"))))
            missed = self.catalogue.entries.get(rule.missed) if rule.missed else None
            if missed is not None and missed.id != "contacto":
                buttons.append(Button(self._name(missed, lang), Action.entry(missed.id)))
            buttons.append(Button(self._name(entry, lang), Action.entry(entry.id)))   # e.g. the fine for a late notice
        else:
            days = window.reminder_days(today)
            if days:
                when = ", ".join(self.t(lang, f"window.offer.{kind.value}", date=show(day, lang, year=False))
                                 for kind, day in days)
                blocks.append(Block(Style.TEXT, (self.t(lang, "window.offer", when=when),)))
                buttons.append(Button(self.t(lang, "button.remind"), Action.remind(entry.id, window.given)))
            buttons.append(Button(self._name(entry, lang), Action.entry(entry.id)))
        buttons.append(Button(self.t(lang, "button.contact"), Action.CONTACT))
        if notes:
            blocks.append(Block(Style.NOTE, tuple(notes)))
        return Reply(tuple(blocks), tuple(buttons), lang)

    def ask(self, entry: Entry, lang: str) -> str:
        """The question under a procedure answer: which date to give for that procedure's window."""
        assert entry.window is not None
        return self.t(lang, f"window.ask.{entry.window.given.value}")

    # ------------------------------------------------------------------ dates that need a second look
    def ambiguous(self, entry_id: str, first: dt.date, second: dt.date, lang: str) -> Reply:
        text = self.t(lang, "window.ambiguous", first=show(first, lang), second=show(second, lang))
        return Reply((Block(Style.TEXT, (text,)),),
                     (Button(show(first, lang), Action.deadline(entry_id, first)),
                      Button(show(second, lang), Action.deadline(entry_id, second))), lang)

    def which(self, day: dt.date, lang: str) -> Reply:
        """A bare date with no procedure under discussion: what is it?"""
        buttons = tuple(Button(self._which(e, lang), Action.deadline(e.id, day))
                        for e in self.catalogue.with_windows() if e.window is not None)
        return Reply((Block(Style.TEXT, (self.t(lang, "window.which", date=show(day, lang)),)),), buttons, lang)

    def _which(self, entry: Entry, lang: str) -> str:
        """The button for one procedure's date: its own label when two share a kind of date (a card's expiry is
        a renewal's or, at year 4, the change to permanent's), else the kind of date."""
        assert entry.window is not None
        own = f"window.which.{entry.id}"
        return self.t(lang, own if own in self.t.tables[lang] else f"window.which.{entry.window.given.value}")

    def refused(self, key: str, lang: str, **values: object) -> Reply:
        return Reply((Block(Style.TEXT, (self.t(lang, key, **values),)),), (), lang)

    # ------------------------------------------------------------------ reminders
    def scheduled(self, days: list[tuple[ReminderKind, dt.date]], lang: str, *, delivered: bool) -> Reply:
        if not days:
            return self.refused("reminders.nothing", lang)
        when = ", ".join(show(day, lang) for _, day in days)
        lines = [self.t(lang, "reminders.set", when=when)]
        if not delivered:
            lines.append(self.t(lang, "reminders.terminal"))
        return Reply((Block(Style.TEXT, tuple(lines)),),
                     (Button(self.t(lang, "button.reminders"), Action.REMINDERS),), lang)

    def listing(self, items: list[tuple[int, Entry, ReminderKind, dt.date]], lang: str, *, delivered: bool) -> Reply:
        if not items:
            return self.refused("reminders.empty", lang)
        lines = tuple(self.t(lang, "reminders.line", name=self._name(entry, lang),
                             what=self.t(lang, f"reminder.kind.{kind.value}"), date=show(day, lang))
                      for _, entry, kind, day in items)
        blocks = [Block(Style.TITLE, (self.t(lang, "reminders.title"),)), Block(Style.BULLETS, lines),
                  Block(Style.NOTE, (self.t(lang, "reminders.cancel_hint"),))]
        if not delivered:
            blocks.append(Block(Style.NOTE, (self.t(lang, "reminders.terminal"),)))
        buttons = tuple(Button(self.t(lang, "reminders.cancel", date=show(day, lang, year=False)),
                               Action.cancel_reminder(rid)) for rid, _, _, day in items)
        return Reply(tuple(blocks), buttons, lang)

    def _reminder_line(self, window: Window, kind: ReminderKind, today: dt.date, name: str, lang: str) -> str:
        """Worded from today, so a reminder sent late (the bot was down) still says the truth."""
        closes = show(window.closes, lang) if window.closes else ""
        if kind is ReminderKind.OPENS:
            if today <= window.opens:
                return self.t(lang, "reminder.opens", name=name)
            return self.t(lang, "reminder.open_since", name=name, opens=show(window.opens, lang))
        left = window.days_left(today) or 0
        if left <= 0:
            return self.t(lang, "reminder.today", name=name, closes=closes)
        if left == 1:
            return self.t(lang, "reminder.last_day", name=name, closes=closes)
        if left == 7:
            return self.t(lang, "reminder.closing", name=name, closes=closes)
        return self.t(lang, "reminder.days_left", name=name, closes=closes, days=left)

    def reminder(self, entry: Entry, window: Window, kind: ReminderKind, today: dt.date, lang: str) -> Reply:
        """The reminder itself: what is due, the dates, the rule's doubt if any, the procedure and the firm."""
        name = self._name(entry, lang)
        closes = show(window.closes, lang) if window.closes else ""
        lines = [self._reminder_line(window, kind, today, name, lang)]
        if kind is ReminderKind.OPENS and window.closes is not None:
            lines.append(self.t(lang, "reminder.until", closes=closes))
        blocks = [Block(Style.TEXT, tuple(lines))]
        closed = self.offices_closed(today, lang)
        if closed:
            blocks.append(Block(Style.NOTE, (closed,)))
        if window.uncertain:
            blocks.append(Block(Style.NOTE, (self._uncertain(entry, lang),)))
        buttons = (Button(name, Action.entry(entry.id)), Button(self.t(lang, "button.contact"), Action.CONTACT),
                   Button(self.t(lang, "button.reminders"), Action.REMINDERS))
        return Reply(tuple(blocks), buttons, lang)

    def offices_closed(self, day: dt.date, lang: str) -> str | None:
        """On a federal day of rest (LFT art. 74) or 24-31 December: INM offices may be closed that day."""
        closure = offices_may_be_closed(day)
        if closure is None:
            return None
        if closure is Closure.YEAR_END:
            return self.t(lang, "reminder.year_end")
        return self.t(lang, "reminder.holiday", holiday=self.t(lang, f"closure.{closure.value}"))

    def reminder_line(self, entry: Entry, window: Window, kind: ReminderKind, today: dt.date, lang: str) -> str:
        """The reminder on one line, for a WhatsApp template parameter (no buttons, no new lines)."""
        reply = self.reminder(entry, window, kind, today, lang)
        return " ".join(line for block in reply.blocks for line in block.lines)


def given_kinds(catalogue: Catalogue) -> dict[Given, Entry]:
    """Which procedure each kind of date belongs to (one procedure per kind of date)."""
    found: dict[Given, Entry] = {}
    for entry in catalogue.with_windows():
        assert entry.window is not None
        found.setdefault(entry.window.given, entry)
    return found
