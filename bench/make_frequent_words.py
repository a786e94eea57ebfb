"""Write bot/resources/frequent_{en,es}.txt: the 3,000 most frequent words of each language (run by hand).

    pip install wordfreq && python bench/make_frequent_words.py

wordfreq (Robyn Speer, https://github.com/rspeer/wordfreq) is not a dependency of the bot: its lists are written
once into the resource files, which carry its data's licence (CC BY-SA 4.0). 3,000 measured best on the labelled
sets' language figures (1,000 to 10,000 tried; README, "Small talk and other authorities").
"""

from __future__ import annotations

import sys
from pathlib import Path

import wordfreq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers.text import fold  # noqa: E402

TOP = 3000
HEADER = """# The {n} most frequent {name} words (folded), from wordfreq {version} (Robyn Speer; data CC BY-SA 4.0,
# https://github.com/rspeer/wordfreq); this file is shared under the same licence. Evidence for the language
# detector only: words frequent in both languages cancel out. Regenerate with bench/make_frequent_words.py.
"""


def main() -> None:
    version = getattr(wordfreq, "__version__", "3")
    for lang, name in (("en", "English"), ("es", "Spanish")):
        words = []
        for word in wordfreq.top_n_list(lang, TOP):
            for part in fold(word).split():
                if len(part) > 1 and not part.isdigit() and part not in words:
                    words.append(part)
        lines = [" ".join(words[i:i + 16]) for i in range(0, len(words), 16)]
        path = ROOT / "bot" / "resources" / f"frequent_{lang}.txt"
        path.write_text(HEADER.format(n=TOP, name=name, version=version) + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(words)} words")


if __name__ == "__main__":
    main()
