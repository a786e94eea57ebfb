"""The lexical matcher alone against it combined with the example model the bot ships (issue 10), run by hand.

    .venv/bin/python bench/compare_matchers.py SET.tsv [SET.tsv ...]

"lexical alone" is the engine with its example model switched off; "lexical + model" is the engine as shipped
(bot/answers/model.py: word and character n-gram TF-IDF of every entry's names, keywords and `examples:`, re-ranking the
lexical candidates and answering, above its own threshold, what the lexical matcher found nothing for; see
Engine._combine). Both answer through Engine.answer and are scored with bot/answers/evaluation.py as the targets define
it. Sets tuned on: tests/data/*.tsv and bench/data/questions_blind2-6.tsv; bench/data/questions_blind7.tsv is the
never-tuned set (README, "How matching works").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.catalogue import load_catalogue  # noqa: E402
from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR, Engine  # noqa: E402
from bot.answers.evaluation import evaluate, read_labelled  # noqa: E402


class _NoModel:
    """Stands in for the example model: never changes the lexical answer."""

    def rerank(self, *args, **kwargs):
        return None

    def decide(self, *args, **kwargs):
        return None


def engines() -> dict[str, Engine]:
    catalogue = load_catalogue(DEFAULT_KNOWLEDGE_DIR)
    lexical = Engine(catalogue)
    lexical.model = _NoModel()
    lexical.known_examples = {}
    return {"lexical alone": lexical, "lexical + model": Engine(catalogue)}


def main() -> None:
    paths = [Path(a) for a in sys.argv[1:]]
    if not paths:
        sys.exit(__doc__)
    t0 = time.perf_counter()
    Engine.from_directory()
    print(f"load (catalogue, matcher, model): {(time.perf_counter() - t0) * 1000:.0f} ms")
    built = engines()
    for path in paths:
        rows = read_labelled(path)
        print(f"{path} ({len(rows)} lines)")
        for label, engine in built.items():
            engine.matcher._resolve.cache_clear()  # cold: typo corrections not cached from another run
            start = time.perf_counter()
            for row in rows:  # matching only (lexical match, then the model's part), what the 1 ms target is about
                engine._combine(row.question, engine.matcher.match(row.question))
            matching = (time.perf_counter() - start) / max(len(rows), 1) * 1000
            start = time.perf_counter()
            report = evaluate(engine, rows)
            whole = (time.perf_counter() - start) / max(len(rows), 1) * 1000
            print(f"  {label:16} in-scope {report.in_scope_accuracy:6.1%}   out-of-scope "
                  f"{report.out_of_scope_accuracy:6.1%}   language {report.language_accuracy:6.1%}   "
                  f"matching {matching:.2f} ms/question (whole answer {whole:.2f} ms)")


if __name__ == "__main__":
    main()
