"""One source of "now" for every service that schedules, so tests can set the date and move it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

MEXICO_CITY = ZoneInfo("America/Mexico_City")   # the firm's offices all keep Mexico City time (no DST since 2022)


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real time, always timezone-aware (UTC)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class SettableClock:
    """A clock that stands still until told otherwise (tests and benchmarks)."""

    def __init__(self, now: dt.datetime):
        self._now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, now: dt.datetime) -> None:
        self._now = now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


def local_today(clock: Clock) -> dt.date:
    """Today's date where the users are (Mexico City), not in UTC: 19:00 in Guadalajara is already tomorrow in UTC."""
    return clock.now().astimezone(MEXICO_CITY).date()
