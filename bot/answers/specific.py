"""Specific questions with short answers ("can I renew past four years?" → no): which one a message asks.

A phrasing counts by how many of its words (of three letters or more; a typo within rapidfuzz ratio 88 counts) the
message holds: the message must contain the phrasing, not the other way round ("renovar residencia temporal" is not
"can I renew past four years"). Inside the entry the matcher chose, most of the words are enough; across the
catalogue all of them, from a phrasing of three words or more, because then the question says exactly what it is
about.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.catalogue import Answer, Catalogue
from bot.answers.text import fold, has_word

IN_ENTRY = 0.8       # share of a phrasing's words the message must hold, for the entry already matched
ANYWHERE = 1.0       # for a phrasing of any entry, overriding the matcher
MIN_WORDS_ANYWHERE = 3


def content_words(text: str) -> list[str]:
    return [w for w in fold(text).split() if len(w) >= 3]


def coverage(phrase: list[str], words: set[str]) -> float:
    """The share of the phrasing's words found in the message (a close typo counts)."""
    found = sum(1 for w in phrase if has_word(w, words))
    return found / len(phrase) if phrase else 0.0


@dataclass(frozen=True)
class Found:
    entry_id: str
    answer: Answer
    phrase: str       # the phrasing that decided (staff see why)


class AnswerFinder:
    def __init__(self, catalogue: Catalogue):
        self.phrases = [(e.id, answer, content_words(p)) for e in catalogue.entries.values() for answer in e.answers
                        for lang in ("es", "en") for p in answer.asks[lang] if content_words(p)]

    def find(self, text: str, entry_id: str | None) -> Found | None:
        words = set(content_words(text))
        if not words:
            return None
        best: tuple[float, Found] | None = None
        for owner, answer, phrase in self.phrases:
            score = coverage(phrase, words)
            here = owner == entry_id
            if (here and score >= IN_ENTRY) or (score >= ANYWHERE and len(phrase) >= MIN_WORDS_ANYWHERE):
                rank = score + (0.05 if here else 0) + len(phrase) * 0.01
                if best is None or rank > best[0]:
                    best = (rank, Found(owner, answer, " ".join(phrase)))
        return best[1] if best else None
