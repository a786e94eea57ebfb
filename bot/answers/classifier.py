"""A calibrated text classifier over plain-string labels: trained with scikit-learn, served in plain numpy.

A text becomes two TF-IDF blocks (word 1-2 grams, and character 2-5 grams within word boundaries, each
L2-normalised, sublinear tf), fed to two linear models whose class probabilities are averaged: a multinomial
logistic regression and a linear SVM calibrated with Platt's sigmoid on cross-validated decisions. Training needs
scikit-learn (imported only then); the result is exported to arrays (`Weights`) and answered by numpy alone, so a
warm start never imports scikit-learn and one question costs a few array lookups. Labels are any strings (entry ids
and "none" for the engine; an entry's short answers for `answer_classifier`), so the same class serves any label set.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from bot.answers.text import fold

# Bump when the features or the training change: cached weights of an older version are then retrained.
CODE_VERSION = "classifier-1"


@dataclass(frozen=True)
class ClassifierSettings:
    """How the models are trained; chosen on tests/data/*.tsv and bench/data/questions_blind2-6.tsv."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    lr_c: float = 20.0                 # inverse regularisation of the logistic regression
    svm_c: float = 0.5                 # ... and of the linear SVM
    calibration_folds: int = 3         # cross-validation folds for the SVM's sigmoid calibration
    random_state: int = 0
    max_iter: int = 2000
    min_df: int = 2                    # a feature must appear in this many training texts (half the columns)
    tol: float = 3e-4                  # logistic regression's stopping tolerance (1e-4: same accuracy, 20% slower)


def settings_from_dict(raw: dict[str, Any]) -> ClassifierSettings:
    """ClassifierSettings from its dataclasses.asdict (JSON turns tuples into lists)."""
    return ClassifierSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def word_features(text: str, ngrams: tuple[int, int] = (1, 2)) -> list[str]:
    """Folded words and word n-grams ("w:" prefix)."""
    tokens = fold(text).split()
    low, high = ngrams
    return [f"w:{' '.join(tokens[i:i + n])}" for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]


def char_features(text: str, ngrams: tuple[int, int] = (2, 5)) -> list[str]:
    """Character n-grams inside each folded word padded with spaces ("c:" prefix), as scikit-learn's char_wb."""
    low, high = ngrams
    feats = []
    for token in fold(text).split():
        padded = f" {token} "
        for n in range(low, high + 1):
            if len(padded) < n:
                if n == low:
                    feats.append(f"c:{padded}")
                break
            feats.extend(f"c:{padded[i:i + n]}" for i in range(len(padded) - n + 1))
    return feats


@dataclass(frozen=True)
class Weights:
    """Everything needed to reproduce predict_proba in numpy; saved to and loaded from an .npz."""

    classes: tuple[str, ...]
    features: tuple[str, ...]          # column order: word features, then character features
    n_word: int                        # the first n_word columns are the word block
    idf: np.ndarray                    # (n_features,)
    coef: np.ndarray                   # (n_features, 2 x n_classes): logistic regression, then SVM
    intercept: np.ndarray              # (2 x n_classes,)
    sigmoid_a: np.ndarray              # (n_classes,) Platt calibration of each SVM class: 1 / (1 + exp(a f + b))
    sigmoid_b: np.ndarray
    settings: ClassifierSettings = field(default_factory=ClassifierSettings)

    def arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays (no pickles) for np.savez."""
        return {"classes": np.array(self.classes, dtype=str), "features": np.array(self.features, dtype=str),
                "n_word": np.array(self.n_word), "idf": self.idf, "coef": self.coef, "intercept": self.intercept,
                "sigmoid_a": self.sigmoid_a, "sigmoid_b": self.sigmoid_b,
                "settings": np.array(json.dumps(dataclasses.asdict(self.settings)))}

    @classmethod
    def from_arrays(cls, data) -> "Weights":
        settings = settings_from_dict(json.loads(str(data["settings"])))
        return cls(tuple(str(c) for c in data["classes"]), tuple(str(f) for f in data["features"]),
                   int(data["n_word"]), np.asarray(data["idf"], dtype=np.float64),
                   np.asarray(data["coef"], dtype=np.float64), np.asarray(data["intercept"], dtype=np.float64),
                   np.asarray(data["sigmoid_a"], dtype=np.float64), np.asarray(data["sigmoid_b"], dtype=np.float64),
                   settings)


# ------------------------------------------------------------------------------------------------ training
def _fitted(texts: Sequence[str], labels: Sequence[str], settings: ClassifierSettings):
    """The fitted scikit-learn pieces: (word vectoriser, char vectoriser, logistic regression, calibrated SVM)."""
    from scipy.sparse import hstack
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC
    from threadpoolctl import threadpool_limits

    word = TfidfVectorizer(analyzer=lambda t: word_features(t, settings.word_ngrams), sublinear_tf=True,
                           min_df=settings.min_df)
    char = TfidfVectorizer(analyzer=lambda t: char_features(t, settings.char_ngrams), sublinear_tf=True,
                           min_df=settings.min_df)
    matrix = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    logistic = LogisticRegression(C=settings.lr_c, max_iter=settings.max_iter, tol=settings.tol,
                                  random_state=settings.random_state)
    with threadpool_limits(1):  # two shared cores: BLAS threads fighting each other triple the time
        logistic.fit(matrix, labels)
    smallest = min(np.unique(np.asarray(labels), return_counts=True)[1])
    folds = StratifiedKFold(max(2, min(settings.calibration_folds, int(smallest))), shuffle=True,
                            random_state=settings.random_state)
    svm = CalibratedClassifierCV(LinearSVC(C=settings.svm_c, random_state=settings.random_state, max_iter=20000),
                                 method="sigmoid", cv=folds, ensemble=False)
    svm.fit(matrix, labels)
    return word, char, logistic, svm, matrix


def train(texts: Sequence[str], labels: Sequence[str], settings: ClassifierSettings | None = None) -> Weights:
    """Train on (text, label) pairs (at least two labels) and export the weights to numpy arrays."""
    settings = settings or ClassifierSettings()
    if len(set(labels)) < 2:
        raise ValueError("a classifier needs at least two labels")
    word, char, logistic, svm, _ = _fitted(texts, labels, settings)
    return export(word, char, logistic, svm, settings)


def export(word, char, logistic, svm, settings: ClassifierSettings) -> Weights:
    """The fitted scikit-learn models as arrays (what `Classifier` needs).

    With two classes scikit-learn keeps one column for the second class; it is written as two so that numpy
    serves every label set alike: softmax over (0, s) is the logistic sigmoid of s, and the first class's Platt
    sigmoid with the opposite signs is one minus the second's.
    """
    classes = tuple(str(c) for c in logistic.classes_)
    calibrated = svm.calibrated_classifiers_[0]
    inner = calibrated.estimator
    assert tuple(str(c) for c in inner.classes_) == classes
    words = sorted(word.vocabulary_, key=word.vocabulary_.get)
    chars = sorted(char.vocabulary_, key=char.vocabulary_.get)
    lr_coef, lr_intercept = logistic.coef_.T, logistic.intercept_
    svm_coef, svm_intercept = inner.coef_.T, inner.intercept_
    a = np.array([c.a_ for c in calibrated.calibrators], dtype=np.float64)
    b = np.array([c.b_ for c in calibrated.calibrators], dtype=np.float64)
    if len(classes) == 2:
        lr_coef = np.hstack([np.zeros_like(lr_coef), lr_coef])
        lr_intercept = np.concatenate([[0.0], lr_intercept])
        svm_coef, svm_intercept = np.hstack([svm_coef, svm_coef]), np.concatenate([svm_intercept, svm_intercept])
        a, b = np.concatenate([-a, a]), np.concatenate([-b, b])
    return Weights(classes, tuple(words + chars), len(words), np.concatenate([word.idf_, char.idf_]),
                   np.ascontiguousarray(np.hstack([lr_coef, svm_coef]), dtype=np.float64),
                   np.concatenate([lr_intercept, svm_intercept]).astype(np.float64), a, b, settings)


def sklearn_probabilities(texts: Sequence[str], labels: Sequence[str], questions: Sequence[str],
                          settings: ClassifierSettings | None = None) -> tuple[Weights, np.ndarray]:
    """Train and return (exported weights, scikit-learn's own averaged probabilities for `questions`): for tests."""
    from scipy.sparse import hstack
    settings = settings or ClassifierSettings()
    word, char, logistic, svm, _ = _fitted(texts, labels, settings)
    matrix = hstack([word.transform(questions), char.transform(questions)]).tocsr()
    return export(word, char, logistic, svm, settings), (logistic.predict_proba(matrix) + svm.predict_proba(matrix)) / 2


# ------------------------------------------------------------------------------------------------ serving
@dataclass(frozen=True)
class Prediction:
    """Classes ranked by probability, best first."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def label(self) -> str:
        return self.ranked[0][0]

    @property
    def probability(self) -> float:
        return self.ranked[0][1]

    def of(self, label: str) -> float:
        return next((p for c, p in self.ranked if c == label), 0.0)


class Classifier:
    """Answers with numpy alone from exported `Weights`."""

    def __init__(self, weights: Weights):
        self.weights = weights
        self.classes = weights.classes
        self._index = {f: i for i, f in enumerate(weights.features)}
        self._n = len(weights.classes)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column ids, TF-IDF values) of the text: sublinear tf x idf, each block L2-normalised."""
        s = self.weights.settings
        ids_all, vals_all = [], []
        for feats in (word_features(text, s.word_ngrams), char_features(text, s.char_ngrams)):
            counts: dict[int, int] = {}
            for f in feats:
                i = self._index.get(f)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            if not counts:
                continue
            ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
            vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) \
                * self.weights.idf[ids]
            ids_all.append(ids)
            vals_all.append(vals / np.linalg.norm(vals))
        if not ids_all:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(ids_all), np.concatenate(vals_all)

    def probabilities(self, text: str) -> np.ndarray:
        """The averaged probability of every class (order: `classes`), as scikit-learn's predict_proba gives."""
        w, n = self.weights, self._n
        ids, vals = self.vector(text)
        scores = vals @ w.coef[ids] + w.intercept if len(ids) else w.intercept.copy()
        logits = scores[:n] - scores[:n].max()
        logistic = np.exp(logits) / np.exp(logits).sum()
        platt = 1.0 / (1.0 + np.exp(w.sigmoid_a * scores[n:] + w.sigmoid_b))
        total = platt.sum()
        platt = platt / total if total != 0 else np.full(n, 1.0 / n)
        platt[(platt > 1.0) & (platt <= 1.0 + 1e-5)] = 1.0
        return (logistic + platt) / 2

    def predict(self, text: str) -> Prediction:
        probs = self.probabilities(text)
        order = np.argsort(-probs, kind="stable")
        return Prediction(tuple((self.classes[i], float(probs[i])) for i in order))
