"""Questions another authority handles (SAT, SRE, Banjercito, INE…): which referral entry a message names.

Kept apart from the procedure matcher on purpose: it is asked only when no INM procedure or topic matched, so a
referral can never take a question from an INM entry, and the lexicon's out-of-scope words (OFFTOPIC, which
stop procedure matches) do not hide the authority the user needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.catalogue import Catalogue, Kind
from bot.answers.text import fold, has_word, phrase_pattern, resource_lines


@dataclass(frozen=True)
class Phrase:
    entry_id: str
    words: tuple[str, ...]


class ReferralFinder:
    def __init__(self, catalogue: Catalogue):
        self.phrases = [Phrase(e.id, tuple(fold(p).split()))
                        for e in catalogue.entries.values() if e.kind is Kind.REFERRAL
                        for lang in ("es", "en") for p in (*e.keywords[lang], e.name.get(lang)) if fold(p)]
        self.anchors = [(e.id, pattern) for e in catalogue.entries.values() if e.kind is Kind.REFERRAL
                        for pattern in [phrase_pattern(p for lang in ("es", "en") for p in e.anchors.get(lang, ()))]
                        if pattern is not None]
        self.markers = phrase_pattern(resource_lines("inm_markers.txt"))
        countries = phrase_pattern(resource_lines("countries.txt"))
        assert countries is not None
        # "visa de trabajo en Alemania", "residencia en Costa Rica", "emigrar a España": another country's matter
        # (not "my Mexican residency card, lost in Spain": a Mexican document, wherever it is)
        self.abroad = re.compile(r"(?<!mexican )(?<!mexicana )(?<!mexicano )"
                                 r"\b(visas?|residencia|residency|residence|emigrar|emigrate|immigrate|migrar)\b"
                                 r"((?:\s+(?!mexico\b|mexican[ao]?\b|card\b|tarjeta\b|mexicana?\b)\w+){0,3}?)"
                                 r"\s+(?:de|para|a|en|to|in|for|of)\s+" + countries.pattern)

    def abroad_matter(self, text: str) -> str | None:
        """The other country, when the message asks about that country's visa or residency, else None."""
        found = self.abroad.search(fold(text))
        return found.group(3) if found else None

    def anchored(self, text: str) -> tuple[str, str] | None:
        """(referral id, the term) when the message names a term only that authority owns ("CURP", "RFC",
        "INAPAM") and nothing about the user's own immigration status; such a question is never INM's."""
        folded = fold(text)
        if self.markers is not None and self.markers.search(folded):
            return None
        for entry_id, pattern in self.anchors:
            found = pattern.search(folded)
            if found:
                return entry_id, found.group(1)
        return None

    def find(self, text: str) -> tuple[str, str] | None:
        """(referral id, the phrase that decided) for the longest keyword phrase wholly in the message, or None."""
        words = set(fold(text).split())
        best: tuple[int, Phrase] | None = None
        for phrase in self.phrases:
            if all(has_word(w, words) for w in phrase.words):
                if best is None or len(phrase.words) > best[0]:
                    best = (len(phrase.words), phrase)
        return (best[1].entry_id, " ".join(best[1].words)) if best else None
