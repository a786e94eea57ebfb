"""Score the matcher on a labelled question file (language, expected ids, question), as the targets define it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.answers.engine import Answer, AnswerKind, Engine


@dataclass(frozen=True)
class Labelled:
    language: str
    expected: frozenset[str]  # {'none'} for out-of-scope
    question: str


@dataclass
class Report:
    in_scope: int = 0
    in_scope_right: int = 0
    out_of_scope: int = 0
    out_of_scope_right: int = 0
    language_right: int = 0
    total: int = 0
    mistakes: list[tuple[Labelled, Answer]] = field(default_factory=list)

    @property
    def in_scope_accuracy(self) -> float:
        return self.in_scope_right / max(self.in_scope, 1)

    @property
    def out_of_scope_accuracy(self) -> float:
        return self.out_of_scope_right / max(self.out_of_scope, 1)

    @property
    def language_accuracy(self) -> float:
        return self.language_right / max(self.total, 1)

    def summary(self) -> str:
        return (f"in-scope {self.in_scope_right}/{self.in_scope} = {self.in_scope_accuracy:.1%}; "
                f"out-of-scope {self.out_of_scope_right}/{self.out_of_scope} = {self.out_of_scope_accuracy:.1%}; "
                f"language {self.language_right}/{self.total} = {self.language_accuracy:.1%}")


def read_labelled(path: Path | str) -> list[Labelled]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, expected, question = line.split("\t", 2)
        rows.append(Labelled(language.strip(), frozenset(expected.strip().split("|")), question))
    return rows


def is_right(row: Labelled, answer: Answer) -> bool:
    """An entry answer must be one of the expected ids; "which one?" counts only where two really fit."""
    if row.expected == {"none"}:
        return answer.kind == AnswerKind.NONE
    if all(e.startswith("ref_") for e in row.expected):  # another authority: the right referral, or at least none
        return answer.kind == AnswerKind.NONE and (answer.referral in row.expected or answer.referral is None)
    if answer.kind in (AnswerKind.PROCEDURE, AnswerKind.TOPIC):
        return answer.intent in row.expected
    if answer.kind == AnswerKind.AMBIGUOUS:
        return len(row.expected) > 1 and bool(row.expected & set(answer.candidates))
    return False


def evaluate(engine: Engine, rows: list[Labelled]) -> Report:
    report = Report()
    for row in rows:
        answer = engine.answer(row.question)
        right = is_right(row, answer)
        report.total += 1
        report.language_right += answer.language == row.language
        if row.expected == {"none"} or all(e.startswith("ref_") for e in row.expected):
            report.out_of_scope += 1
            report.out_of_scope_right += right
        else:
            report.in_scope += 1
            report.in_scope_right += right
        if not right or answer.language != row.language:
            report.mistakes.append((row, answer))
    return report
