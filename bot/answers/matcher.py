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
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Iterable, Mapping

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.answers.text import OFFTOPIC, Analyzer, is_concept, load_wordlist, phonetic_key, stem

ASPECTS = ("FEE", "DOCS", "DEADLINE")
WEAK = frozenset({*ASPECTS, "CITY"})  # say what or where about a procedure, never which procedure on their own
# OFFTOPIC (from text.py): lexicon concept for things that are not immigration matters (resources/lexicon.txt)


class MatchKind(str, Enum):
    ENTRY = "entry"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds chosen on tests/data/questions_dev.tsv (see bench/tune_matching.py)."""

    accept: float = 0.44            # best score needed to answer with an entry
    ambiguous_margin: float = 0.01  # runner-up this close to the best -> ask which one
    ambiguous_floor: float = 0.44   # ... but only if the runner-up itself is this good
    phrase_exponent: float = 0.5    # score = phrase_match ** e * coverage ** (1 - e)
    unknown_weight: float = 1.0     # weight of a word the catalogue does not know (x mean idf)
    offtopic_weight: float = 8.0    # weight of a known out-of-scope object (OFFTOPIC), relative to the mean idf
    unknown_exponent: float = 0.5   # unknown words count as n ** x: long stories are not punished linearly
    phrase_floor: float = 2.0       # a keyword phrase lighter than this (in idf) is weak evidence on its own
    activation: float = 0.34         # a phrase this much present counts towards explaining the question
    dice: float = 0.5               # ranking = score * overlap ** dice: near-ties go to the closer wording
    min_fuzzy_length: int = 5       # shorter words are never typo-corrected


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    entry_id: str | None
    candidates: tuple[str, ...]
    confidence: float
    aspects: frozenset[str] = frozenset()
    has_words: bool = True  # False when nothing but stop words was written ("hola", "thanks")
    ranked: tuple[tuple[str, float], ...] = ()  # every entry that scored, best first, with its ranking score
    phrases: Mapping[str, str] = field(default_factory=dict)  # entry -> its keyword phrase closest to the question
    only_aspects: bool = False  # every known word says what (fee, documents, deadline), none says which entry

    @property
    def phrase(self) -> str | None:
        """The keyword phrase that decided (of the chosen entry), for staff to see why."""
        return self.phrases.get(self.entry_id) if self.entry_id else None

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
        self._phrase_text: list[str] = []
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
        self.offtopic_idf = mean_idf * self.settings.offtopic_weight
        self._terms = set(self.idf)
        for word, concept in self.analyzer.concept_words().items():
            if concept in self._terms and len(word) >= self.settings.min_fuzzy_length:
                self._surface.setdefault(word, concept)
        self._vocabulary = list(self._surface)
        self._phonetic: dict[str, str] = {}
        for word, term in self._surface.items():
            self._phonetic.setdefault(phonetic_key(word), term)
        self._resolve = lru_cache(maxsize=65536)(self._resolve_uncached)
        # Arrays for scoring: a question touches thousands of phrases in a large catalogue, so do it in numpy.
        index_of = {entry_id: i for i, entry_id in enumerate(self.entry_ids)}
        self._phrase_entry = np.array([index_of[e] for e, _ in self._phrases], dtype=np.int32)
        self._phrase_full = np.array(self._phrase_weight, dtype=np.float64)
        floor = self.settings.phrase_floor
        self._phrase_strength = np.minimum(1.0, self._phrase_full / floor) if floor else np.ones(len(self._phrases))
        self._posting_arrays = {t: np.array(ix, dtype=np.int32) for t, ix in self._postings.items()}

    def _add_phrase(self, entry_id: str, phrase: str, language: str) -> None:
        tokens = [t for t in self.analyzer.tokens(phrase) if t != OFFTOPIC]  # never evidence FOR an entry
        terms = tuple(dict.fromkeys(t if is_concept(t) else stem(t, language) for t in tokens))
        if not terms:
            return
        for token, term in zip(tokens, (t if is_concept(t) else stem(t, language) for t in tokens)):
            if not is_concept(token):
                self._surface.setdefault(token, term)
        index = len(self._phrases)
        self._phrases.append((entry_id, terms))
        self._phrase_text.append(" ".join(phrase.split()))
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

    def scores(self, text: str) -> dict[str, tuple[float, float]]:
        """(score, phrase overlap) of every entry that shares a term with the question, both 0-1.

        The score decides whether to answer at all; the overlap (Dice of the best phrase and the question)
        breaks near-ties in favour of the entry whose own wording explains more of the question.
        """
        return {e: (score, dice) for e, (score, dice, _) in self._scores(self.terms(text)).items()}

    def _scores(self, pairs: list[tuple[str, str | None]]) -> dict[str, tuple[float, float, int]]:
        """(score, overlap, index of the entry's phrase that shares most with the question) per entry."""
        known = {term for _, term in pairs if term is not None}
        unknown = [token for token, term in pairs if term is None]
        plain_unknown = sum(1 for t in unknown if t != OFFTOPIC)
        total = (sum(self.idf[t] for t in known) + self.unknown_idf * plain_unknown ** self.settings.unknown_exponent
                 + self.offtopic_idf * unknown.count(OFFTOPIC))
        if not known or total <= 0:
            return {}
        n_entries = len(self.entry_ids)
        matched = np.zeros(len(self._phrases))
        strong = np.zeros(len(self._phrases), dtype=bool)
        for term in known:
            postings = self._posting_arrays[term]
            matched[postings] += self.idf[term]
            if term not in WEAK:
                strong[postings] = True
        matched[~strong] = 0.0  # a phrase counts only when something other than a city or an aspect matched
        touched = np.flatnonzero(matched)
        weight, full = matched[touched], self._phrase_full[touched]
        strength, owner = self._phrase_strength[touched], self._phrase_entry[touched]
        query_weight = sum(self.idf[t] for t in known)
        best_share, best_dice = np.zeros(n_entries), np.zeros(n_entries)
        share = weight / full * strength
        np.maximum.at(best_share, owner, share)
        best_phrase = np.zeros(n_entries, dtype=np.int64)
        order = np.lexsort((-share, owner))  # within each entry, its best phrase first; take the first per entry
        first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]] if len(order) else order
        best_phrase[owner[first]] = touched[first]
        np.maximum.at(best_dice, owner, 2 * weight / (full + query_weight) * strength)
        active = np.zeros(len(self._phrases), dtype=bool)  # phrases present enough to explain their terms
        active[touched[weight / full >= self.settings.activation]] = True
        explained = np.zeros(n_entries)
        for term in known:
            postings = self._posting_arrays[term]
            has_term = np.zeros(n_entries, dtype=bool)
            has_term[self._phrase_entry[postings[active[postings]]]] = True
            explained += has_term * self.idf[term]
        e = self.settings.phrase_exponent
        entries = np.flatnonzero(best_share)
        scores = best_share[entries] ** e * (explained[entries] / total) ** (1 - e)
        return {self.entry_ids[i]: (float(score), float(best_dice[i]), int(best_phrase[i]))
                for i, score in zip(entries.tolist(), scores.tolist())}

    def match(self, text: str) -> Match:
        g = self.settings.dice
        pairs = self.terms(text)  # analysed once: scoring, aspects and the checks below all read it
        raw = self._scores(pairs)
        scored = {e: score * dice ** g for e, (score, dice, _) in raw.items()}
        aspects = frozenset(t for t, _ in pairs if t in ASPECTS)
        ranked = tuple(sorted(scored.items(), key=lambda kv: kv[1], reverse=True))
        phrases = {e: self._phrase_text[raw[e][2]] for e, _ in ranked[:3]}
        s = self.settings
        only_aspects = {t for _, t in pairs if t is not None} <= set(ASPECTS)
        if not ranked or raw[ranked[0][0]][0] < s.accept or only_aspects:  # "how much?" alone names no entry
            return Match(MatchKind.NONE, None, tuple(e for e, _ in ranked[:3]),
                         round(raw[ranked[0][0]][0], 3) if ranked else 0.0, aspects, has_words=bool(pairs),
                         ranked=ranked, phrases=phrases, only_aspects=only_aspects and bool(aspects))
        best_id, best = ranked[0]
        close = [e for e, score in ranked[1:3] if score >= s.ambiguous_floor and best - score <= s.ambiguous_margin]
        if close:
            return Match(MatchKind.AMBIGUOUS, None, (best_id, *close), round(raw[best_id][0], 3), aspects,
                         ranked=ranked, phrases=phrases)
        return Match(MatchKind.ENTRY, best_id, tuple(e for e, _ in ranked[:3]), round(min(raw[best_id][0], 1.0), 3),
                     aspects, ranked=ranked, phrases=phrases)
