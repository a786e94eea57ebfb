"""Match a free-text question to catalogue entries: typo-tolerant, bilingual, and honest about doubt.

Each entry is indexed by its names and keywords in both languages. A question is split into terms (see
text.Analyzer); words the catalogue does not know are corrected with rapidfuzz when a close catalogue word
exists. An entry scores high when one of its keyword phrases is fully present in the question AND it explains
most of the question's weight; unknown words weigh against every entry, which is how out-of-scope questions
fall below the threshold instead of being forced onto a procedure.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .text import Analyzer, is_concept, load_wordlist, phonetic_key, stem

ASPECTS = ("FEE", "DOCS", "DEADLINE")


class MatchKind(str, Enum):
    ENTRY = "entry"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds chosen on tests/data/questions_dev.tsv (see bench/tune_matching.py)."""

    accept: float = 0.42          # best score needed to answer with an entry
    ambiguous_margin: float = 0.06  # runner-up this close to the best -> ask which one
    ambiguous_floor: float = 0.42   # ... but only if the runner-up itself is this good
    phrase_weight: float = 0.5    # share of the score from the best keyword phrase (rest: query coverage)
    unknown_weight: float = 1.6   # weight of a word the catalogue does not know, relative to the mean idf
    min_fuzzy_length: int = 4     # shorter words are never typo-corrected


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    entry_id: str | None
    candidates: tuple[str, ...]
    confidence: float
    aspects: frozenset[str] = frozenset()

    @property
    def found(self) -> bool:
        return self.kind is MatchKind.ENTRY


@dataclass(frozen=True)
class Document:
    """What the matcher needs of an entry: its id and phrases per language."""

    id: str
    phrases: Mapping[str, Iterable[str]]


class Matcher:
    def __init__(self, documents: Iterable[Document], analyzer: Analyzer | None = None,
                 settings: MatchSettings | None = None):
        self.analyzer = analyzer or Analyzer()
        self.settings = settings or MatchSettings()
        self.general_words = load_wordlist("common_es.txt") | load_wordlist("common_en.txt")
        self._phrases: list[tuple[str, tuple[str, ...]]] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._entry_terms: dict[str, set[str]] = defaultdict(set)
        self._surface: dict[str, str] = {}  # a word seen in keywords -> its term
        for doc in documents:
            for language, phrases in doc.phrases.items():
                for phrase in phrases:
                    self._add_phrase(doc.id, phrase, language)
        self.entry_ids = tuple(self._entry_terms)
        n = max(len(self.entry_ids), 1)
        df: dict[str, int] = defaultdict(int)
        for terms in self._entry_terms.values():
            for term in terms:
                df[term] += 1
        self.idf = {term: math.log(1 + n / count) for term, count in df.items()}
        self._phrase_weight = [sum(self.idf[t] for t in terms) for _, terms in self._phrases]
        mean_idf = sum(self.idf.values()) / max(len(self.idf), 1)
        self.unknown_idf = mean_idf * self.settings.unknown_weight
        self._terms = set(self.idf)
        self._vocabulary = list(self._surface)
        self._phonetic: dict[str, str] = {}
        for word, term in self._surface.items():
            self._phonetic.setdefault(phonetic_key(word), term)
        self._resolve = lru_cache(maxsize=65536)(self._resolve_uncached)

    def _add_phrase(self, entry_id: str, phrase: str, language: str) -> None:
        tokens = self.analyzer.tokens(phrase)
        terms = tuple(dict.fromkeys(t if is_concept(t) else stem(t, language) for t in tokens))
        if not terms:
            return
        for token, term in zip(tokens, (t if is_concept(t) else stem(t, language) for t in tokens)):
            if not is_concept(token):
                self._surface.setdefault(token, term)
        index = len(self._phrases)
        self._phrases.append((entry_id, terms))
        for term in terms:
            self._postings[term].append(index)
        self._entry_terms[entry_id].update(terms)

    # ---------------------------------------------------------------------------------------------------------
    def _resolve_uncached(self, token: str) -> str | None:
        """The catalogue term a question word stands for, or None if the catalogue does not know it."""
        if is_concept(token):
            return token if token in self._terms else None
        if token in self._surface:
            return self._surface[token]
        for language in ("es", "en"):
            stemmed = stem(token, language)
            if stemmed in self._terms:
                return stemmed
        if len(token) < self.settings.min_fuzzy_length or token in self.general_words or token.isdigit():
            return None
        cutoff = 0.75 if len(token) <= 5 else 0.8
        best = process.extractOne(token, self._vocabulary, scorer=Levenshtein.normalized_similarity,
                                  score_cutoff=cutoff)
        if best is not None and best[0][0] == token[0]:
            return self._surface[best[0]]
        return self._phonetic.get(phonetic_key(token))

    def terms(self, text: str) -> list[tuple[str, str | None]]:
        """(token, term) pairs of a question; term is None for words the catalogue does not know."""
        seen: dict[str, str | None] = {}
        for token in self.analyzer.tokens(text):
            if token not in seen:
                seen[token] = self._resolve(token)
        return list(seen.items())

    def scores(self, text: str) -> dict[str, float]:
        """Score of every entry that shares a term with the question (0-1)."""
        pairs = self.terms(text)
        known = {term for _, term in pairs if term is not None}
        total = sum(self.idf[t] for t in known) + self.unknown_idf * sum(1 for _, t in pairs if t is None)
        if not known or total <= 0:
            return {}
        matched: dict[int, float] = defaultdict(float)
        coverage: dict[str, float] = defaultdict(float)
        for term in known:
            weight = self.idf[term]
            for index in self._postings[term]:
                matched[index] += weight
        for term in known:
            for entry_id in self._entries_with(term):
                coverage[entry_id] += self.idf[term]
        best_phrase: dict[str, float] = defaultdict(float)
        for index, weight in matched.items():
            entry_id = self._phrases[index][0]
            share = weight / self._phrase_weight[index]
            if share > best_phrase[entry_id]:
                best_phrase[entry_id] = share
        a = self.settings.phrase_weight
        return {e: a * best_phrase[e] + (1 - a) * coverage[e] / total for e in coverage}

    @lru_cache(maxsize=4096)
    def _entries_with(self, term: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self._phrases[i][0] for i in self._postings[term]))

    def match(self, text: str) -> Match:
        scores = self.scores(text)
        aspects = frozenset(t for t, _ in self.terms(text) if t in ASPECTS)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        s = self.settings
        if not ranked or ranked[0][1] < s.accept:
            return Match(MatchKind.NONE, None, tuple(e for e, _ in ranked[:3]), ranked[0][1] if ranked else 0.0,
                         aspects)
        best_id, best = ranked[0]
        close = [e for e, score in ranked[1:3] if score >= s.ambiguous_floor and best - score <= s.ambiguous_margin]
        if close:
            return Match(MatchKind.AMBIGUOUS, None, (best_id, *close), round(best, 3), aspects)
        return Match(MatchKind.ENTRY, best_id, tuple(e for e, _ in ranked[:3]), round(min(best, 1.0), 3), aspects)
