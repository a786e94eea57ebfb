"""Our Spanish/English detector against lingua-language-detector (restricted to the two), on every labelled set.

    .venv/bin/pip install lingua-language-detector && .venv/bin/python bench/compare_language.py

lingua is not a dependency: ours measured better on every set (README, "Small talk and other authorities").
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.evaluation import read_labelled  # noqa: E402


def main() -> None:
    from lingua import Language, LanguageDetectorBuilder
    lingua = LanguageDetectorBuilder.from_languages(Language.SPANISH, Language.ENGLISH).build()
    engine = Engine.from_directory()
    for path in sorted((ROOT / "tests/data").glob("*.tsv")) + sorted((ROOT / "bench/data").glob("*.tsv")):
        rows = read_labelled(path)
        ours = sum(engine.detect_language(r.question) == r.language for r in rows)
        theirs = sum(("es" if lingua.detect_language_of(r.question) == Language.SPANISH else "en") == r.language
                     for r in rows)
        print(f"{path.relative_to(ROOT)} ({len(rows)} lines): ours {ours / len(rows):.1%}, "
              f"lingua {theirs / len(rows):.1%}")


if __name__ == "__main__":
    main()
