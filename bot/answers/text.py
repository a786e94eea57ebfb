"""Fold, tokenise and canonicalise text the same way for user messages and catalogue keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

import snowballstemmer
from rapidfuzz import fuzz

from bot.folding import MAX_ANALYSED_CHARS, fold

OFFTOPIC = "OFFTOPIC"


TYPO_SCORE = 88  # two words of 5+ letters within this rapidfuzz ratio count as one ("pasaprote" ~ "pasaporte")


def has_word(word: str, words: set[str]) -> bool:
    """The word, or a close typo of it (5+ letters), is among `words`."""
    if word in words:
        return True
    return len(word) >= 5 and any(len(w) >= 5 and fuzz.ratio(word, w) >= TYPO_SCORE for w in words)


def words(text: str) -> list[str]:
    return fold(text).split()


def resource_lines(name: str) -> list[str]:
    raw = resources.files("bot.resources").joinpath(name).read_text(encoding="utf-8")
    return [line for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def phrase_pattern(phrases: Iterable[str], *, prefix: bool = False) -> re.Pattern | None:
    """One regex for any of the phrases, folded, longest first, on word boundaries (`prefix`: at the start only,
    so "expire" also finds "expires"); None when there is no phrase. Search it in folded text."""
    folded = sorted({fold(p) for p in phrases if fold(p)}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in folded) + (r")" if prefix else r")\b"))


def load_wordlist(name: str) -> frozenset[str]:
    return frozenset(w for line in resource_lines(name) for w in fold(line).split())


@dataclass(frozen=True)
class Lexicon:
    """Multi-word surfaces mapped to shared concepts, so "FM3", "temporal" and "temporary" are one term."""

    entries: dict[tuple[str, ...], tuple[str, ...]]
    longest: int

    @classmethod
    def load(cls, name: str = "lexicon.txt", places: str = "places.txt") -> "Lexicon":
        entries: dict[tuple[str, ...], tuple[str, ...]] = {}
        for line in resource_lines(places):
            entries[tuple(fold(line).split())] = ()  # a place name says nothing about the procedure
        for line in resource_lines(name):
            surface, _, concepts = line.partition("=")
            key = tuple(fold(surface).split())
            if key and concepts.strip():
                entries[key] = tuple(concepts.split())
        for key, concepts in list(entries.items()):  # plurals: "credit cards", "tarjetas de credito"
            for i, word in enumerate(key):
                if len(word) > 2 and not word.endswith("s") and not word.isdigit():
                    for plural in (word + "s", word + "es"):
                        entries.setdefault(key[:i] + (plural,) + key[i + 1:], concepts)
        return cls(entries, max((len(k) for k in entries), default=1))

    def apply(self, tokens: list[str]) -> list[str]:
        """Replace the longest known surface at each position by its concepts (written in capitals).

        Off-topic surfaces are found first, wherever they start, so "necesita visa americana" is about a US visa
        even though "necesita visa" is also a known phrase.
        """
        marked = self._mark_offtopic(tokens)
        out: list[str] = []
        i = 0
        while i < len(tokens):
            if marked[i] is not None:
                out.append(OFFTOPIC)
                i = marked[i]
                continue
            for size in range(min(self.longest, len(tokens) - i), 0, -1):
                if any(m is not None for m in marked[i + 1:i + size]):
                    continue  # would swallow the start of an off-topic phrase
                concepts = self.entries.get(tuple(tokens[i:i + size]))
                if concepts is not None:
                    out.extend(concepts)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out


    def _mark_offtopic(self, tokens: list[str]) -> list[int | None]:
        """For each position that starts an off-topic surface, the position just after it (longest first)."""
        marked: list[int | None] = [None] * len(tokens)
        taken = [False] * len(tokens)
        spans = [(size, i) for i in range(len(tokens)) for size in range(min(self.longest, len(tokens) - i), 0, -1)
                 if self.entries.get(tuple(tokens[i:i + size])) == (OFFTOPIC,)]
        for size, i in sorted(spans, reverse=True):
            if not any(taken[i:i + size]):
                marked[i] = i + size
                for k in range(i, i + size):
                    taken[k] = True
        return marked


def is_concept(token: str) -> bool:
    return token[:1].isupper() or token.isdigit()


_STEMMERS = {"es": snowballstemmer.stemmer("spanish"), "en": snowballstemmer.stemmer("english")}


@lru_cache(maxsize=65536)
def stem(token: str, language: str) -> str:
    return _STEMMERS[language].stemWord(token)


_PHONETIC_RULES = (
    (re.compile(r"ll"), "y"), (re.compile(r"c([ei])"), r"s\1"), (re.compile(r"z"), "s"),
    (re.compile(r"v"), "b"), (re.compile(r"g([ei])"), r"j\1"), (re.compile(r"qu"), "k"),
    (re.compile(r"c(?=[aou]|$)"), "k"), (re.compile(r"h"), ""), (re.compile(r"(.)\1"), r"\1"),
)


@lru_cache(maxsize=65536)
def phonetic_key(token: str) -> str:
    """A rough Spanish sound-alike key, so "rezidensia" and "residencia" or "bisa" and "visa" meet."""
    for pattern, replacement in _PHONETIC_RULES:
        token = pattern.sub(replacement, token)
    return token


class Analyzer:
    """Turns text into matching terms: lexicon concepts first, stop words out, then stems."""

    def __init__(self, lexicon: Lexicon | None = None, stopwords: frozenset[str] | None = None):
        self.lexicon = lexicon or Lexicon.load()
        self.stopwords = stopwords if stopwords is not None else (
            load_wordlist("stopwords_es.txt") | load_wordlist("stopwords_en.txt"))

    def tokens(self, text: str) -> list[str]:
        """Concepts and content words of `text`, in order, stop words removed."""
        return [t for t in self.lexicon.apply(words(text)) if is_concept(t) or t not in self.stopwords]

    def concept_words(self) -> dict[str, str]:
        """Single words the lexicon maps to exactly one concept: typo targets ("bencida" -> vencida)."""
        return {key[0]: concepts[0] for key, concepts in self.lexicon.entries.items()
                if len(key) == 1 and len(concepts) == 1}

    def phrase_terms(self, text: str, language: str) -> tuple[str, ...]:
        """Terms of a catalogue phrase written in `language` (duplicates removed, order kept)."""
        terms = [t if is_concept(t) else stem(t, language) for t in self.tokens(text)]
        return tuple(dict.fromkeys(terms))
