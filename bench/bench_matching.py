"""Matching speed: mean time to match one question, on the real catalogue and on 2,000 synthetic entries.

Run by hand:  .venv/bin/python bench/bench_matching.py
Targets: under 1 ms per question on the real catalogue, under 10 ms with 2,000 entries (2-core machine).
"Cold" is the first pass over questions the matcher has never seen (its word caches empty);
"warm" repeats the same questions.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers.engine import Engine, documents  # noqa: E402
from bot.answers.evaluation import read_labelled  # noqa: E402
from bot.answers.matcher import Document, Matcher  # noqa: E402
from bot.answers.text import words  # noqa: E402

QUESTION_FILES = sorted((ROOT / "tests/data").glob("*.tsv"))


def questions() -> list[str]:
    return [row.question for path in QUESTION_FILES for row in read_labelled(path)]


def time_per_question(matcher, texts: list[str]) -> tuple[float, float, float]:
    """(cold mean, warm mean, warm p95) in milliseconds."""
    start = time.perf_counter()
    for text in texts:
        matcher.match(text)
    cold = (time.perf_counter() - start) / len(texts) * 1000
    samples = []
    for _ in range(3):
        for text in texts:
            t0 = time.perf_counter()
            matcher.match(text)
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return cold, statistics.fmean(samples), samples[int(len(samples) * 0.95)]


class _Combined:
    """What the engine does to match: the lexical analysis, then the classifier's decision (Engine._decide)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def match(self, text: str):
        return self.engine._decide(text, self.engine.matcher.match(text))


def synthetic_documents(real: list[Document], count: int, seed: int = 7) -> list[Document]:
    """`count` entries whose phrases mix real catalogue words with invented ones, like a large catalogue."""
    rng = random.Random(seed)
    vocabulary = {lang: sorted({w for d in real for p in d.phrases[lang] for w in words(p)}) for lang in ("es", "en")}
    invented = ["".join(rng.choice("abcdefghijlmnoprstuv") for _ in range(rng.randint(5, 10))) for _ in range(6000)]
    docs = []
    for i in range(count):
        phrases = {}
        for lang in ("es", "en"):
            own = rng.sample(invented, 4)  # each entry has a few words of its own, as real entries do
            phrases[lang] = [" ".join(rng.sample(vocabulary[lang], rng.randint(1, 3)) + rng.sample(own, rng.randint(1, 2)))
                             for _ in range(15)]
        docs.append(Document(f"synthetic_{i:04d}", phrases))
    return docs


def main() -> None:
    texts = questions()
    engine = Engine.from_directory()
    real_docs = documents(engine.catalogue)
    fresh = Matcher(real_docs)
    cold, warm, p95 = time_per_question(fresh, texts)
    print(f"real catalogue ({len(real_docs)} entries, {len(fresh._phrases)} phrases), {len(texts)} questions:")
    print(f"  cold {cold:.3f} ms/question   warm {warm:.3f} ms/question   warm p95 {p95:.3f} ms   target < 1 ms")
    t0 = time.perf_counter()
    shipped = Engine(engine.catalogue)  # lexical matcher + the intent classifier (trained weights remembered)
    print(f"lexical + classifier (built in {(time.perf_counter() - t0) * 1000:.0f} ms, "
          f"{len(shipped.intents.weights.features)} features, {len(shipped.intents.classes)} classes):")
    cold, warm, p95 = time_per_question(_Combined(shipped), texts)
    print(f"  cold {cold:.3f} ms/question   warm {warm:.3f} ms/question   warm p95 {p95:.3f} ms   target < 1 ms")
    t0 = time.perf_counter()
    big = Matcher(real_docs + synthetic_documents(real_docs, 2000))
    built = time.perf_counter() - t0
    cold, warm, p95 = time_per_question(big, texts)
    print(f"synthetic catalogue ({len(big.entry_ids)} entries, {len(big._phrases)} phrases, built in {built:.1f} s):")
    print(f"  cold {cold:.3f} ms/question   warm {warm:.3f} ms/question   warm p95 {p95:.3f} ms   target < 10 ms")


if __name__ == "__main__":
    main()
