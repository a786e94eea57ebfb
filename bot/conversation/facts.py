"""What a user told us about themselves, remembered across the conversation so nothing is asked twice.

The document they hold (an FMM as a visitor, a consular visa, a temporary, permanent or student card), whether
they have arrived or plan to, a Mexican spouse, and the dates they gave (by kind: a card's expiry, an entry date…).
Read from their words with the cue phrases in bot/resources/facts.txt; pure (the conversation service stores it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from re import Pattern

from bot.answers.text import fold, phrase_pattern, resource_lines

# When several documents are named, the first of this order is the one held ("visa de residente temporal" is a
# consular visa; "I entered as a tourist, now I have my temporary card" holds a card… after the visa and the FMM).
DOCUMENTS = ("consular_visa", "fmm", "student_card", "temporary_card", "permanent_card")
PLANNED, ARRIVED = "planned", "done"


@dataclass(frozen=True)
class Facts:
    document: str | None = None                    # one of DOCUMENTS
    arrival: str | None = None                     # "planned" or "done"
    married_mexican: bool = False
    dates: dict[str, str] = field(default_factory=dict)   # kind of date (Given value) -> ISO date the user gave

    def merged(self, newer: "Facts") -> "Facts":
        """These facts updated by newer ones (a newer document or arrival replaces the older)."""
        return Facts(newer.document or self.document, newer.arrival or self.arrival,
                     self.married_mexican or newer.married_mexican, {**self.dates, **newer.dates})

    def with_date(self, kind: str, day: dt.date) -> "Facts":
        return dataclasses.replace(self, dates={**self.dates, kind: day.isoformat()})

    def date(self, kind: str) -> dt.date | None:
        value = self.dates.get(kind)
        return dt.date.fromisoformat(value) if value else None

    @property
    def holds_visitor_document(self) -> bool:
        """An FMM (tourist, visitor): its expiry is never a resident card's."""
        return self.document == "fmm"

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in dataclasses.asdict(self).items() if v}, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | None) -> "Facts":
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        document = data.get("document") if data.get("document") in DOCUMENTS else None
        arrival = data.get("arrival") if data.get("arrival") in (PLANNED, ARRIVED) else None
        dates = {str(k): str(v) for k, v in (data.get("dates") or {}).items()} \
            if isinstance(data.get("dates"), dict) else {}
        return cls(document, arrival, bool(data.get("married_mexican")), dates)


class FactReader:
    """The facts a message states, from the cue phrases of bot/resources/facts.txt."""

    def __init__(self) -> None:
        cues: dict[str, list[str]] = {}
        for line in resource_lines("facts.txt"):
            name, _, phrases = line.partition(":")
            cues.setdefault(name.strip(), []).extend(p.strip() for p in phrases.split(",") if p.strip())
        self._patterns: dict[str, Pattern[str] | None] = {name: phrase_pattern(phrases)
                                                          for name, phrases in cues.items()
                                                          if not name.startswith(("exclude.", "instead."))}
        self._excluded = {name.partition(".")[2]: frozenset(ids) for name, ids in cues.items()
                          if name.startswith("exclude.")}
        self._instead = {name.partition(".")[2]: ids[0] for name, ids in cues.items()
                         if name.startswith("instead.") and ids}

    def ruled_out(self, document: str | None) -> tuple[frozenset[str], str | None]:
        """The entries a document rules out for its holder, and the entry to answer instead."""
        if document is None:
            return frozenset(), None
        return self._excluded.get(document, frozenset()), self._instead.get(document)

    def says(self, folded: str, name: str) -> bool:
        """Whether folded text holds one of the cue phrases called `name` ("followup.refer", "arrival.done"…)."""
        pattern = self._patterns.get(name)
        return pattern is not None and pattern.search(folded) is not None

    def read(self, text: str) -> Facts:
        folded = fold(text) if isinstance(text, str) else ""
        if not folded:
            return Facts()
        document = next((d for d in DOCUMENTS if self.says(folded, f"document.{d}")), None)
        arrival = PLANNED if self.says(folded, "arrival.planned") else \
            ARRIVED if self.says(folded, "arrival.done") else None
        return Facts(document, arrival, self.says(folded, "married.mexican"))
