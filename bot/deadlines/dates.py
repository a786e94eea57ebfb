"""Dates in users' own words ("mi tarjeta vence el 3 de febrero", "entered Nov 10", "15/03/2027") and dates shown
back to them. Parsing is dateparser's (Spanish and English, the user's language first); showing is babel's
(es_MX, en). A numeric date that reads two ways (03/04) comes back with both readings, for the user to pick.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from babel.dates import format_date

LOCALES = {"es": "es_MX", "en": "en"}
MAX_TEXT = 400                # longer messages are stories: the date search looks at their first part only
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?(?![\d/.-])")
_VAGUE = re.compile(r"\b(años?|anos?|years?|mes(es)?|months?|semanas?|weeks?|d[ií]as?|days?|horas?|hours?)\b",
                    re.IGNORECASE)   # "60 días", "30 days before": durations, not dates (unless "hace 5 días")
_RELATIVE_OK = re.compile(r"\b(hace|ago|ayer|yesterday|hoy|today|mañana|manana|tomorrow)\b", re.IGNORECASE)


@dataclass(frozen=True)
class FoundDate:
    """A date in the text; `other` is the second reading of an ambiguous numeric date (day and month swapped)."""

    date: dt.date
    fragment: str
    other: dt.date | None = None


def show(day: dt.date, lang: str, *, year: bool = True) -> str:
    """'15 de marzo de 2027' / 'March 15, 2027' (without the year: '15 de marzo' / 'March 15')."""
    if year:
        return format_date(day, format="long", locale=LOCALES.get(lang, "es_MX"))
    return format_date(day, format="d 'de' MMMM" if lang == "es" else "MMMM d", locale=LOCALES.get(lang, "es_MX"))


def _settings(today: dt.date, prefer_past: bool, order: str) -> dict:
    return {"RELATIVE_BASE": dt.datetime.combine(today, dt.time(12)), "DATE_ORDER": order,
            "PREFER_DATES_FROM": "past" if prefer_past else "future", "REQUIRE_PARTS": ["day", "month"],
            "RETURN_AS_TIMEZONE_AWARE": False}


def _year_for(day: int, month: int, today: dt.date, prefer_past: bool) -> dt.date | None:
    """A day and month without a year: the next one (an expiry) or the last one (an arrival)."""
    for year in ((today.year, today.year - 1) if prefer_past else (today.year, today.year + 1)):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            return None
        if (candidate <= today) if prefer_past else (candidate >= today):
            return candidate
    return None


def _numeric(match: re.Match, today: dt.date, prefer_past: bool) -> FoundDate | None:
    a, b, y = int(match.group(1)), int(match.group(2)), match.group(3)
    year = None if y is None else (int(y) + 2000 if len(y) == 2 else int(y))

    def build(day: int, month: int) -> dt.date | None:
        if year is None:
            return _year_for(day, month, today, prefer_past)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    day_first, month_first = build(a, b), build(b, a)   # Mexico writes day/month; visitors may write month/day
    first = day_first or month_first
    if first is None:
        return None
    other = month_first if day_first is not None and month_first not in (None, day_first) else None
    return FoundDate(first, match.group(0), other)


def find_date(text: str, lang: str, today: dt.date, *, prefer_past: bool = False) -> FoundDate | None:
    """The first date the message gives, or None; vague spans ("en 2 años", "next month") are not dates."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text[:MAX_TEXT]
    numeric = _NUMERIC.search(text)
    if numeric is not None:
        return _numeric(numeric, today, prefer_past)
    if not re.search(r"\d", text) and not _RELATIVE_OK.search(text):
        return None   # every date a user gives has a digit or a word like "ayer": most messages stop here
    from dateparser.search import search_dates  # imported on first use: its language data takes a moment
    languages = [lang, "en" if lang == "es" else "es"]
    found = search_dates(text, languages=languages, settings=_settings(today, prefer_past, "DMY"))
    for fragment, value in found or ():
        if _VAGUE.search(fragment) and not _RELATIVE_OK.search(fragment):
            continue
        if not re.search(r"\d", fragment) and not _RELATIVE_OK.search(fragment):
            continue  # a bare month or weekday name ("may", "sábado") is not a date someone gives
        return FoundDate(value.date(), fragment.strip())
    return None


def leftover_words(text: str, fragment: str) -> int:
    """How many words the message has besides the date (a bare "15/03/2027" answers the bot's question)."""
    rest = text.replace(fragment, " ") if fragment else text
    return len(re.findall(r"\w+", rest))
