"""Days INM offices may be closed: Mexico's federal days of mandatory rest and the end-of-year break. Pure.

Ley Federal del Trabajo art. 74. Text: http://asescrl.com/descanso.php; the current list as the federal government
gives it: https://nrnoticias.mx/?p=169431; the 2024 reform that moved the change of President's day from
1 December to 1 October: https://angelneri.com/new/2024/09/19/avalo-senado-el-nuevo-dia-de-descanso-oficial
  I 1 January; II the first Monday of February (for 5 February); III the third Monday of March (for 21 March);
  IV 1 May; V 16 September; VI the third Monday of November (for 20 November); VII 1 October every six years, when
  the federal executive changes hands (2024, 2030, ...; 1 December until 2018); VIII 25 December;
  IX election days set by federal and local electoral law — not computable here, so not included.
24-31 December: offices have closed for about two weeks around the new year (Mexico Relocation Guide,
https://mexicorelocationguide.com/mexico-residency-changes/, in knowledge's research notes); it is a "may be closed",
never a certainty.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

TRANSMISSION_OCTOBER_FROM = 2024    # first year of the 1 October date (LFT art. 74 VII as reformed in 2024)


class Closure(str, Enum):
    """Why INM offices may be closed on a day; the value names its locale text (`closure.<value>`)."""

    NEW_YEAR = "new_year"
    CONSTITUTION = "constitution"
    JUAREZ = "juarez"
    LABOUR = "labour"
    INDEPENDENCE = "independence"
    REVOLUTION = "revolution"
    TRANSMISSION = "transmission"
    CHRISTMAS = "christmas"
    YEAR_END = "year_end"             # 24-31 December


def nth_monday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def federal_holidays(year: int) -> dict[dt.date, Closure]:
    """The computable days of LFT art. 74 in that year (election days are set case by case and are not here)."""
    days = {
        dt.date(year, 1, 1): Closure.NEW_YEAR,
        nth_monday(year, 2, 1): Closure.CONSTITUTION,
        nth_monday(year, 3, 3): Closure.JUAREZ,
        dt.date(year, 5, 1): Closure.LABOUR,
        dt.date(year, 9, 16): Closure.INDEPENDENCE,
        nth_monday(year, 11, 3): Closure.REVOLUTION,
        dt.date(year, 12, 25): Closure.CHRISTMAS,
    }
    if year >= TRANSMISSION_OCTOBER_FROM and (year - TRANSMISSION_OCTOBER_FROM) % 6 == 0:
        days[dt.date(year, 10, 1)] = Closure.TRANSMISSION
    elif year < TRANSMISSION_OCTOBER_FROM and (TRANSMISSION_OCTOBER_FROM - 6 - year) % 6 == 0:
        days[dt.date(year, 12, 1)] = Closure.TRANSMISSION
    return days


def offices_may_be_closed(day: dt.date) -> Closure | None:
    """Why INM offices may be closed that day, or None: 24-31 December first (it covers Christmas), then art. 74."""
    if day.month == 12 and day.day >= 24:
        return Closure.YEAR_END
    return federal_holidays(day.year).get(day)
