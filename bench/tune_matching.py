"""Choose the matcher's thresholds from data: grid search on the dev set, report the held-out set.

Run by hand:  .venv/bin/python bench/tune_matching.py
Prints the best settings on tests/data/questions_dev.tsv and how they do on tests/data/questions_holdout.tsv.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.catalogue import load_catalogue  # noqa: E402
from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR, Engine, documents  # noqa: E402
from bot.answers.evaluation import evaluate, read_labelled  # noqa: E402
from bot.answers.matcher import Matcher, MatchSettings  # noqa: E402

GRID = {
    "accept": [0.36, 0.40, 0.44, 0.48],
    "ambiguous_margin": [0.0, 0.03, 0.06],
    "phrase_exponent": [0.4, 0.5, 0.6],
    "unknown_weight": [1.0, 1.6, 2.2],
    "unknown_exponent": [0.5, 0.75, 1.0],
    "offtopic_weight": [4.0, 8.0],
    "phrase_floor": [0.0, 2.0, 3.0],
}


def objective(report) -> float:
    """Both targets matter; missing either one is worse than a small loss on the other."""
    return min(report.in_scope_accuracy / 0.95, 1.0) + min(report.out_of_scope_accuracy / 0.90, 1.0) \
        + 0.5 * (report.in_scope_accuracy + report.out_of_scope_accuracy)


def main() -> None:
    catalogue = load_catalogue(DEFAULT_KNOWLEDGE_DIR)
    engine = Engine(catalogue)
    dev = read_labelled(ROOT / "tests/data/questions_dev.tsv")
    holdout = read_labelled(ROOT / "tests/data/questions_holdout.tsv")
    docs = documents(catalogue)
    results = []
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        settings = dataclasses.replace(MatchSettings(), **dict(zip(keys, values)))
        settings = dataclasses.replace(settings, ambiguous_floor=settings.accept)
        engine.matcher = Matcher(docs, engine.matcher.analyzer, settings)
        report = evaluate(engine, dev)
        results.append((objective(report), settings, report))
    results.sort(key=lambda r: r[0], reverse=True)
    print(f"{len(results)} settings tried on {len(dev)} dev questions")
    for score, settings, report in results[:8]:
        engine.matcher = Matcher(docs, engine.matcher.analyzer, settings)
        held = evaluate(engine, holdout)
        chosen = {k: getattr(settings, k) for k in keys}
        print(f"{score:.3f} {chosen}\n      dev: {report.summary()}\n  holdout: {held.summary()}")


if __name__ == "__main__":
    main()
