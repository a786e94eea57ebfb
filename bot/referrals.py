"""Questions another authority handles (SAT, SRE, Banjercito, INE…): which referral entry a message names.

Kept apart from the procedure matcher on purpose: it is asked only when no INM procedure or topic matched, so a
referral can never take a question from an INM entry, and the lexicon's out-of-scope words (OFFTOPIC, which
stop procedure matches) do not hide the authority the user needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import Catalogue, Kind
from .text import fold, has_word


@dataclass(frozen=True)
class Phrase:
    entry_id: str
    words: tuple[str, ...]


class ReferralFinder:
    def __init__(self, catalogue: Catalogue):
        self.phrases = [Phrase(e.id, tuple(fold(p).split()))
                        for e in catalogue.entries.values() if e.kind is Kind.REFERRAL
                        for lang in ("es", "en") for p in (*e.keywords[lang], e.name.get(lang)) if fold(p)]

    def find(self, text: str) -> tuple[str, str] | None:
        """(referral id, the phrase that decided) for the longest keyword phrase wholly in the message, or None."""
        words = set(fold(text).split())
        best: tuple[int, Phrase] | None = None
        for phrase in self.phrases:
            if all(has_word(w, words) for w in phrase.words):
                if best is None or len(phrase.words) > best[0]:
                    best = (len(phrase.words), phrase)
        return (best[1].entry_id, " ".join(best[1].words)) if best else None
