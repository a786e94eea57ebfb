"""A procedure's deadline as data (`window:` in its YAML): what date the user gives and when the window opens and
closes relative to it. Parsed and validated here so the catalogue can name the file, entry and field of a mistake.

    window:
      given: card_expiry          # card_expiry | entry_date | change_date | residence_start | permit_date
      opens: {days: -30}          # relative to the given date; {days: N}, {business_days: N} or {years: N};
      closes: {days: 0}           #   omitted: opens on the given date / never closes
      uncertain: false            # true: every answer and reminder says the rule is not confirmed
      missed: regularizacion_documento_vencido   # the entry to offer once the window has passed
      source: https://...
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable


class Given(str, Enum):
    """What date the user tells the bot; its direction says which side of today makes sense."""

    CARD_EXPIRY = "card_expiry"
    ENTRY_DATE = "entry_date"
    CHANGE_DATE = "change_date"
    RESIDENCE_START = "residence_start"
    PERMIT_DATE = "permit_date"

    @property
    def in_past(self) -> bool:
        """An entry, a move, a first card, a permit: already happened (a date ahead is a mistake)."""
        return self is not Given.CARD_EXPIRY


class Unit(str, Enum):
    DAYS = "days"                      # calendar days ("días naturales")
    BUSINESS_DAYS = "business_days"    # Monday to Friday ("días hábiles")
    YEARS = "years"


@dataclass(frozen=True)
class Offset:
    amount: int = 0
    unit: Unit = Unit.DAYS


@dataclass(frozen=True)
class WindowRule:
    given: Given
    opens: Offset = Offset()
    closes: Offset | None = None
    uncertain: bool = False
    missed: str | None = None
    source: str | None = None


WINDOW_FIELDS = ("given", "opens", "closes", "uncertain", "missed", "source")


def _offset(value: Any, where: str, error: Callable[[str], None]) -> Offset | None:
    if not isinstance(value, dict) or len(value) != 1:
        error(f"'{where}' must be one of {{days: N}}, {{business_days: N}} or {{years: N}}, got {value!r}")
        return None
    (unit, amount), = value.items()
    if unit not in {u.value for u in Unit}:
        error(f"'{where}' has unknown unit '{unit}' (allowed: days, business_days, years)")
        return None
    if not isinstance(amount, int) or isinstance(amount, bool) or abs(amount) > 3650:
        error(f"'{where}.{unit}' must be a whole number of {unit} (up to 3650), got {amount!r}")
        return None
    return Offset(amount, Unit(unit))


def parse_window(value: Any, error: Callable[[str], None]) -> WindowRule | None:
    """The rule, or None after reporting each problem through `error` (which knows the file and entry)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        error(f"'window' must be a mapping with 'given', 'opens' and/or 'closes', got {type(value).__name__}")
        return None
    for key in value:
        if key not in WINDOW_FIELDS:
            error(f"unknown field '{key}' in 'window' (allowed: {', '.join(sorted(WINDOW_FIELDS))})")
    try:
        given = Given(value.get("given"))
    except ValueError:
        error(f"'window.given' must be one of {', '.join(g.value for g in Given)}, got {value.get('given')!r}")
        return None
    opens = _offset(value["opens"], "window.opens", error) if "opens" in value else Offset()
    closes = _offset(value["closes"], "window.closes", error) if "closes" in value else None
    uncertain = value.get("uncertain", False)
    if not isinstance(uncertain, bool):
        error(f"'window.uncertain' must be true or false, got {uncertain!r}")
    missed = value.get("missed")
    if missed is not None and not isinstance(missed, str):
        error(f"'window.missed' must be an entry id, got {missed!r}")
        missed = None
    source = value.get("source")
    if source is not None and (not isinstance(source, str) or not source.startswith(("http://", "https://"))):
        error(f"'window.source' must be an http(s) address, got {source!r}")
        source = None
    if "closes" not in value and "opens" not in value:
        error("'window' needs 'opens' or 'closes' (or both)")
        return None
    if opens is None or ("closes" in value and closes is None):
        return None
    if closes is not None and opens.unit is closes.unit and opens.amount > closes.amount:
        error(f"'window' opens after it closes ({opens.amount} > {closes.amount} {opens.unit.value})")
        return None
    return WindowRule(given=given, opens=opens, closes=closes, uncertain=uncertain is True, missed=missed,
                      source=source)
