"""Matching accuracy on every labelled set, as the targets define it (run by hand).

tests/data/*.tsv were used to tune the catalogue and thresholds (a test asserts the targets on them);
bench/data/questions_blind2.tsv to _blind6 were blind once and have been tuned on since (README, "How
matching works"); bench/data/questions_blind7.tsv (2026-12-01) and questions_blind8.tsv (2026-12-06, 1,035 lines), written from the
catalogue descriptions only, with referral labels, are the honest estimates for new questions: never tune on them,
and write a new set before the next round.

    .venv/bin/python bench/bench_accuracy.py [SET.tsv ...]    (default: every set)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.evaluation import evaluate, read_labelled  # noqa: E402

SETS = sorted((ROOT / "tests/data").glob("*.tsv")) + sorted((ROOT / "bench/data").glob("*.tsv"))


def main() -> None:
    engine = Engine.from_directory()
    for path in [Path(a).resolve() for a in sys.argv[1:]] or SETS:  # given sets, or every set
        rows = read_labelled(path)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({len(rows)} lines): {evaluate(engine, rows).summary()}")


if __name__ == "__main__":
    main()
