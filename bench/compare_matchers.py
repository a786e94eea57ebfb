"""The lexical matcher alone against it combined with a learned model (issue 10's comparison), run by hand.

    .venv/bin/pip install scikit-learn && .venv/bin/python bench/compare_matchers.py [SET.tsv]

The model: word (1-2) and character (2-5) n-gram TF-IDF with logistic regression, trained on every entry's name and
keywords plus the questions of the tuned sets (tests/data, with their 'none' rows), used only when the lexical
matcher found nothing. Default set: bench/data/questions_blind3.tsv (never tuned on). scikit-learn is not a
dependency of the bot: the combination measured worse (README, "How matching works"), so it is not used.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalogue import Kind  # noqa: E402
from bot.engine import AnswerKind, Engine  # noqa: E402
from bot.evaluation import is_right, read_labelled  # noqa: E402
from bot.text import fold  # noqa: E402


def model_for(engine: Engine):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union
    texts, labels = [], []
    for entry in engine.catalogue.entries.values():
        if entry.kind is not Kind.REFERRAL:
            for lang in ("es", "en"):
                for phrase in (entry.name.get(lang), *entry.keywords[lang]):
                    texts.append(fold(phrase))
                    labels.append(entry.id)
    for path in sorted((ROOT / "tests/data").glob("*.tsv")):
        for row in read_labelled(path):
            if len(row.expected) == 1:
                texts.append(fold(row.question))
                labels.append(next(iter(row.expected)))
    features = make_union(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                          TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True))
    return make_pipeline(features, LogisticRegression(C=20, max_iter=2000)).fit(texts, labels)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench/data/questions_blind3.tsv"
    engine = Engine.from_directory()
    model = model_for(engine)
    rows = read_labelled(path)
    for threshold in (None, 0.35, 0.5, 0.65):
        counts = {"in": [0, 0], "out": [0, 0]}
        for row in rows:
            answer = engine.answer(row.question)
            if threshold is not None and answer.kind == AnswerKind.NONE and answer.unanswered:
                probs = model.predict_proba([fold(row.question)])[0]
                best = probs.argmax()
                if probs[best] >= threshold and model.classes_[best] != "none":
                    answer = dataclasses.replace(answer, kind=AnswerKind.PROCEDURE, intent=model.classes_[best])
            out = row.expected == {"none"} or all(e.startswith("ref_") for e in row.expected)
            tally = counts["out" if out else "in"]
            tally[0] += 1
            tally[1] += is_right(row, answer)
        label = "lexical alone" if threshold is None else f"lexical + model (p >= {threshold})"
        print(f"{label:30} in-scope {counts['in'][1] / counts['in'][0]:.1%}   "
              f"out-of-scope {counts['out'][1] / counts['out'][0]:.1%}")
    start = time.perf_counter()
    for _ in range(200):
        model.predict_proba(["se me vence la tarjeta de residente temporal"])
    print(f"model: {(time.perf_counter() - start) / 200 * 1000:.2f} ms per question")


if __name__ == "__main__":
    main()
