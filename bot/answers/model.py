"""A model learned from example questions: which entry a question nobody wrote a keyword for is about.

Each entry's names, keywords and `examples:` (its own and those staff attached) are turned into word (1-2) and
character (2-5, within words) n-gram TF-IDF vectors. Two views of those vectors are combined: the cosine with each
entry's centroid (what its questions share) and the cosine with its single closest training question (so one good
example is enough). Training is counting and one pass of numpy: deterministic, a fraction of a second at load and
reload, with no dependency beyond numpy. The engine asks it only when the lexical matcher found nothing (see
Engine._answer_text); its confidence is the combined score, and below `threshold` it says nothing, which is how
out-of-scope questions are still refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from bot.answers.text import fold


@dataclass(frozen=True)
class ModelSettings:
    """Chosen on tests/data/*.tsv and bench/data/questions_blind2-5.tsv (bench/compare_matchers.py); with 35
    examples a language per entry the model earns more weight than with 10 (fuse 0.8 -> 2.0, referral 0.45 -> 0.35)."""

    threshold: float = 0.62          # score needed to answer a question the lexical matcher found nothing for
    fuse_weight: float = 2.0         # lexical ranking score + this x model score re-ranks the lexical candidates
    referral_threshold: float = 0.35  # a referral this likely, and
    referral_margin: float = 0.1     # this far ahead of the lexical choice, takes the question from it
    centroid_weight: float = 0.5     # score = w x centroid cosine + (1 - w) x nearest-question cosine
    char_range: tuple[int, int] = (2, 5)
    word_weight: float = 1.0         # word n-grams relative to character n-grams


@dataclass(frozen=True)
class Sample:
    """One training text: the entry it asks for, and whether it is an example question (vs a name or keyword)."""

    entry_id: str
    text: str
    example: bool = False


@dataclass(frozen=True)
class Guess:
    entry_id: str
    confidence: float
    runner_up: float
    example: str | None   # the example question of that entry closest to the question (what it leaned on most)
    candidates: tuple[str, ...]


class ExampleModel:
    def __init__(self, samples: Iterable[Sample], settings: ModelSettings | None = None):
        self.settings = settings or ModelSettings()
        samples = [s for s in samples if fold(s.text)]
        self.samples = samples
        self.entry_ids = tuple(dict.fromkeys(s.entry_id for s in samples))
        index_of = {e: i for i, e in enumerate(self.entry_ids)}
        self._vocabulary: dict[str, int] = {}
        rows = [self._counts(s.text, grow=True) for s in samples]
        n_features = len(self._vocabulary)
        df = np.zeros(n_features)
        for row in rows:
            df[list(row)] += 1
        self._idf = np.log((1 + len(rows)) / (1 + df)) + 1.0
        is_word = np.array([f.startswith("w:") for f in self._vocabulary], dtype=bool)
        self._idf[is_word] *= self.settings.word_weight
        self._owner = np.array([index_of[s.entry_id] for s in samples], dtype=np.int32)
        self._is_example = np.array([s.example for s in samples], dtype=bool)
        # Sparse rows (CSR) of L2-normalised TF-IDF, and the same by feature (CSC) for similarity to every sample.
        cols, vals, row_of = [], [], []
        for r, row in enumerate(rows):
            ids, weights = self._weights(row)
            cols.append(ids)
            vals.append(weights)
            row_of.append(np.full(len(ids), r, dtype=np.int32))
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        val = np.concatenate(vals) if vals else np.zeros(0)
        row_ix = np.concatenate(row_of) if row_of else np.zeros(0, dtype=np.int32)
        order = np.argsort(col, kind="stable")
        self._csc_rows, self._csc_vals = row_ix[order], val[order]
        self._csc_ptr = np.searchsorted(col[order], np.arange(n_features + 1))
        centroids = np.zeros((len(self.entry_ids), n_features))
        np.add.at(centroids, (self._owner[row_ix], col), val)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        self._centroids = np.ascontiguousarray((centroids / np.maximum(norms, 1e-12)).T)  # features x entries

    # ---------------------------------------------------------------------------------------------------------
    def _features(self, text: str) -> list[str]:
        folded = fold(text)
        tokens = folded.split()
        feats = [f"w:{t}" for t in tokens] + [f"w:{a} {b}" for a, b in zip(tokens, tokens[1:])]
        low, high = self.settings.char_range
        for token in tokens:
            padded = f" {token} "
            for n in range(low, high + 1):
                feats.extend(f"c:{padded[i:i + n]}" for i in range(len(padded) - n + 1))
        return feats

    def _counts(self, text: str, grow: bool = False) -> dict[int, float]:
        counts: dict[int, float] = defaultdict(float)
        for feat in self._features(text):
            index = self._vocabulary.get(feat)
            if index is None:
                if not grow:
                    continue
                index = self._vocabulary[feat] = len(self._vocabulary)
            counts[index] += 1.0
        return counts

    def _weights(self, counts: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        weights = tf * self._idf[ids]
        return ids, weights / max(float(np.linalg.norm(weights)), 1e-12)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return self._weights(self._counts(text))

    def similarities(self, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Cosine of the question with every training sample."""
        if not len(ids):
            return np.zeros(len(self.samples))
        starts, ends = self._csc_ptr[ids], self._csc_ptr[ids + 1]
        sizes = ends - starts
        take = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(sizes.sum())
        return np.bincount(self._csc_rows[take], weights=self._csc_vals[take] * np.repeat(weights, sizes),
                           minlength=len(self.samples))

    def scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(score per entry, cosine per sample)."""
        ids, weights = self.vector(text)
        sims = self.similarities(ids, weights)
        centroid = weights @ self._centroids[ids] if len(ids) else np.zeros(len(self.entry_ids))
        nearest = np.zeros(len(self.entry_ids))
        np.maximum.at(nearest, self._owner, sims)
        w = self.settings.centroid_weight
        return w * centroid + (1 - w) * nearest, sims

    def leaned_on(self, entry_id: str, sims: np.ndarray) -> str:
        """The example question of `entry_id` closest to the question (a name or keyword if it has none)."""
        best = self.entry_ids.index(entry_id)
        own = np.flatnonzero((self._owner == best) & self._is_example)
        if not len(own):
            own = np.flatnonzero(self._owner == best)
        return self.samples[int(own[np.argmax(sims[own])])].text

    def guess(self, text: str) -> Guess | None:
        """The best entry and its confidence, or None when nothing in the question is known."""
        if not self.entry_ids:
            return None
        score, sims = self.scores(text)
        order = np.argsort(-score, kind="stable")
        best = int(order[0])
        if score[best] <= 0:
            return None
        runner_up = float(score[order[1]]) if len(order) > 1 else 0.0
        return Guess(self.entry_ids[best], round(float(score[best]), 3), round(max(runner_up, 0.0), 3),
                     self.leaned_on(self.entry_ids[best], sims),
                     tuple(self.entry_ids[i] for i in order[:3] if score[i] > 0))

    def decide(self, text: str) -> Guess | None:
        """The guess if it clears the threshold (a question the lexical matcher found nothing for), else None."""
        guess = self.guess(text)
        return guess if guess is not None and guess.confidence >= self.settings.threshold else None

    def rerank(self, text: str, ranked: Sequence[tuple[str, float]], referrals: frozenset[str] = frozenset()
               ) -> tuple[str, str, float] | None:
        """Re-rank the lexical matcher's entries (id, ranking score) with the model's scores.

        Returns (entry id, the example it leaned on, model score) when the model changes the answer: another of
        the lexical candidates, or a referral (an id in `referrals`) the model is sure of; None keeps the lexical one.
        """
        if not ranked or not self.entry_ids:
            return None
        score, sims = self.scores(text)
        model = dict(zip(self.entry_ids, score.tolist()))
        s = self.settings
        fused = {e: r + s.fuse_weight * model.get(e, 0.0) for e, r in ranked}
        best = max(fused, key=lambda e: (fused[e], e == ranked[0][0]))
        top = self.entry_ids[int(np.argmax(score))]
        if (top in referrals and model[top] >= s.referral_threshold
                and model[top] - model.get(best, 0.0) >= s.referral_margin):
            return top, self.leaned_on(top, sims), model[top]
        if best == ranked[0][0]:
            return None
        return best, self.leaned_on(best, sims), model.get(best, 0.0)
