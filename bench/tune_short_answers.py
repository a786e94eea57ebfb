"""Choose the short-answer threshold on the held-out check set (tests/data/short_answers_check.tsv).

Each row names the entry, the answer id it asks (or "general": the entry as a whole) and a phrasing written for this
check, not in the YAML. Two figures per threshold: the answer classifier alone, given the row's entry (what the
threshold decides), and the whole engine (`Engine.answer(..., full=False)`: the entry must be decided too).
Run: .venv/bin/python bench/tune_short_answers.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.intents import GENERAL  # noqa: E402

CHECK = Path(__file__).resolve().parents[1] / "tests" / "data" / "short_answers_check.tsv"


def check_rows(path: Path = CHECK) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            entry, answer, lang, question = line.split("\t")
            rows.append((entry, answer, lang, question))
    return rows


def classifier_choice(engine: Engine, entry_id: str, question: str) -> tuple[str, float]:
    """(answer id or GENERAL, probability) from the entry's answer classifier, before any threshold."""
    prediction = engine.answer_classifier(entry_id).predict(question)
    if prediction.label == GENERAL:
        return GENERAL, prediction.probability
    return engine.catalogue.get(entry_id).answers[int(prediction.label.partition(":")[2])].id, prediction.probability


def accuracy_at(choices: list[tuple[str, str, float]], threshold: float) -> float:
    """choices: (expected, chosen, probability); below the threshold the choice becomes GENERAL."""
    right = sum(1 for expected, chosen, p in choices if (chosen if p >= threshold else GENERAL) == expected)
    return right / len(choices)


def main() -> None:
    engine = Engine.from_directory(data_dir=Path(__file__).resolve().parents[1] / ".bench-data")
    rows = check_rows()
    choices = [(answer, *classifier_choice(engine, entry, question)) for entry, answer, _, question in rows]
    print(f"{len(rows)} check phrasings ({sum(1 for r in rows if r[1] != GENERAL)} ask a short answer)")
    for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
        print(f"threshold {threshold:.2f}: answer classifier {accuracy_at(choices, threshold):.1%}")
    wrong = [(r, c) for r, c in zip(rows, choices) if (c[1] if c[2] >= engine.decision.short_answer else GENERAL) != c[0]]
    for (entry, answer, _, question), (_, chosen, p) in wrong:
        print(f"  classifier miss: {entry}.{answer} -> {chosen} {p:.2f}: {question}")
    right = 0
    for entry, answer, lang, question in rows:
        got = engine.answer(question, language=lang, full=False)
        expected = None if answer == GENERAL else f"{entry}.{answer}"
        ok = got.short_answer == expected and (answer != GENERAL or got.intent == entry)
        right += ok
        if not ok:
            print(f"  engine miss: {expected or entry} -> {got.short_answer or got.intent} ({got.decided_by}): {question}")
    print(f"engine at {engine.decision.short_answer:.2f}: {right}/{len(rows)} = {right / len(rows):.1%}")


if __name__ == "__main__":
    main()
