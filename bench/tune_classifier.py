"""Choose the classifier engine's decision thresholds on the tuning sets only (run by hand).

    .venv/bin/python bench/tune_classifier.py [--lexical off]

Tuning sets: tests/data/questions_dev.tsv, _holdout.tsv, _round2.tsv and bench/data/questions_blind2-6.tsv.
bench/data/questions_blind7.tsv is never read here. The classifier is trained once (or read from the cache in
DATA_DIR, default /tmp/inm-bench-data); its predictions and the lexical matches are remembered per question, so
each setting only re-runs the decision and the reply. Prints the best settings by the objective below, with each
set's figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers.classifier import ClassifierSettings  # noqa: E402
from bot.answers.decision import DecisionSettings  # noqa: E402
from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR, Engine  # noqa: E402
from bot.knowledge.catalogue import load_catalogue  # noqa: E402
from bot.answers.evaluation import evaluate, read_labelled  # noqa: E402

TUNING_SETS = [ROOT / "tests/data" / f"questions_{n}.tsv" for n in ("dev", "holdout", "round2")] + \
              [ROOT / "bench/data" / f"questions_blind{i}.tsv" for i in range(2, 7)]
GRID = {
    "threshold": [0.45, 0.5, 0.55, 0.6],
    "margin": [0.0, 0.03, 0.06],
    "family_share": [0.25, 0.3, 0.4, 1.0],
    "lexical_floor": [0.05, 0.1, 0.15, 0.2],
}


def objective(reports) -> float:
    """Mean of in-scope and out-of-scope accuracy over all tuning questions (both matter equally)."""
    in_right = sum(r.in_scope_right for r in reports)
    in_all = sum(r.in_scope for r in reports)
    out_right = sum(r.out_of_scope_right for r in reports)
    out_all = sum(r.out_of_scope for r in reports)
    return (in_right / in_all + out_right / out_all) / 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lexical", choices=("on", "off"), default="on")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--classifier", nargs="*", default=[], metavar="NAME=VALUE",
                        help="ClassifierSettings to train with instead of the defaults, e.g. lr_c=10 svm_c=1")
    parser.add_argument("--grid", nargs="*", default=[], metavar="NAME=V1,V2",
                        help="DecisionSettings values to try instead of GRID's, e.g. threshold=0.5,0.55")
    args = parser.parse_args()
    classifier = ClassifierSettings(**{k: type(getattr(ClassifierSettings(), k))(float(v))
                                       for k, v in (a.split("=", 1) for a in args.classifier)})
    engine = Engine(load_catalogue(DEFAULT_KNOWLEDGE_DIR), data_dir=os.environ.get("DATA_DIR", "/tmp/inm-bench-data"),
                    lexical=args.lexical == "on", classifier_settings=classifier)
    engine.intents.predict = functools.lru_cache(maxsize=None)(engine.intents.predict)
    engine.matcher.match = functools.lru_cache(maxsize=None)(engine.matcher.match)
    sets = {path.name: read_labelled(path) for path in TUNING_SETS}
    grid = {**GRID, **{k: [float(v) for v in values.split(",")] for k, values in (a.split("=", 1) for a in args.grid)}}
    if args.lexical == "off":
        grid["lexical_floor"] = [1.0]
    results = []
    for values in itertools.product(*grid.values()):
        engine.decision = dataclasses.replace(DecisionSettings(), **dict(zip(grid, values)))
        reports = [evaluate(engine, rows) for rows in sets.values()]
        results.append((objective(reports), engine.decision, reports))
    results.sort(key=lambda r: r[0], reverse=True)
    print(f"{len(results)} settings on {sum(len(r) for r in sets.values())} tuning questions (lexical {args.lexical})")
    for score, settings, reports in results[:args.top]:
        print(f"{score:.4f} {settings}")
    score, settings, reports = results[0]
    for name, report in zip(sets, reports):
        print(f"  {name:28} {report.summary()}")


if __name__ == "__main__":
    main()
