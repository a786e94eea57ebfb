"""A user's own window for a procedure: the dates a rule gives for the date they told us, where today stands in it,
and which reminders make sense. Pure date arithmetic (no clock, no I/O): callers pass today.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import Enum

from bot.knowledge.window_rules import Offset, Unit, WindowRule

CLOSING_SOON_DAYS = 7         # "closing soon" and the reminder a week before the end
REMIND_AT = dt.time(9, 0)     # reminders go out at 09:00 Mexico City time
PLAUSIBLE_YEARS = 15          # a date further than this from today is a typo ("2207", "1926")


class Status(str, Enum):
    UPCOMING = "upcoming"        # not open yet
    OPEN = "open"
    CLOSING_SOON = "closing_soon"
    MISSED = "missed"


class ReminderKind(str, Enum):
    OPENS = "opens"              # the day the window opens
    CLOSING = "closing"          # a week before it closes
    LAST_DAY = "last_day"        # the day before it closes


class DateProblem(str, Enum):
    IMPLAUSIBLE = "implausible"  # years away from today
    IN_FUTURE = "in_future"      # an entry date or a move that has not happened yet


def add_years(day: dt.date, years: int) -> dt.date:
    """29 February plus a year is 28 February."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def add_business_days(day: dt.date, amount: int) -> dt.date:
    """Monday to Friday; public holidays are not counted out (rules that use business days say so)."""
    step = 1 if amount >= 0 else -1
    remaining = abs(amount)
    while remaining:
        day += dt.timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day


def shift(day: dt.date, offset: Offset) -> dt.date:
    if offset.unit is Unit.YEARS:
        return add_years(day, offset.amount)
    if offset.unit is Unit.BUSINESS_DAYS:
        return add_business_days(day, offset.amount)
    return day + dt.timedelta(days=offset.amount)


@dataclass(frozen=True)
class Window:
    entry_id: str
    given: dt.date
    opens: dt.date
    closes: dt.date | None        # None: open from `opens` on, with no end
    uncertain: bool

    def status(self, today: dt.date) -> Status:
        if self.closes is not None and today > self.closes:
            return Status.MISSED
        if today < self.opens:
            return Status.UPCOMING
        if self.closes is not None and (self.closes - today).days < CLOSING_SOON_DAYS:
            return Status.CLOSING_SOON
        return Status.OPEN

    def days_left(self, today: dt.date) -> int | None:
        return None if self.closes is None else (self.closes - today).days

    def still_useful(self, today: dt.date) -> bool:
        """A reminder is worth sending while the window has not closed."""
        return self.closes is None or today <= self.closes

    def reminder_days(self, today: dt.date) -> list[tuple[ReminderKind, dt.date]]:
        """When to remind, from tomorrow on: the opening day, a week before the end, the day before the end."""
        wanted = [(ReminderKind.OPENS, self.opens)]
        if self.closes is not None:
            wanted += [(ReminderKind.CLOSING, self.closes - dt.timedelta(days=CLOSING_SOON_DAYS)),
                       (ReminderKind.LAST_DAY, self.closes - dt.timedelta(days=1))]
        days = []
        for kind, day in wanted:
            if day > today and day >= self.opens and all(day != d for _, d in days):
                days.append((kind, day))
        return days


def window_for(entry_id: str, rule: WindowRule, given: dt.date) -> Window:
    opens = shift(given, rule.opens)
    closes = shift(given, rule.closes) if rule.closes is not None else None
    return Window(entry_id, given, opens, closes, rule.uncertain)


def check_given(rule: WindowRule, given: dt.date, today: dt.date) -> DateProblem | None:
    """Refuse dates no user means: years away, or an arrival or move that has not happened yet."""
    if abs((given - today).days) > PLAUSIBLE_YEARS * 366:
        return DateProblem.IMPLAUSIBLE
    if rule.given.in_past and given > today:
        return DateProblem.IN_FUTURE
    return None
