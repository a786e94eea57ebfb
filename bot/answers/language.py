"""Tell Spanish from English in short chat messages, falling back to what the user spoke before."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from bot.languages import DEFAULT_LANGUAGE, LANGUAGES
from bot.answers.text import fold, load_wordlist

_SPANISH_MARKS = re.compile(r"[áéíóúñü¿¡]", re.IGNORECASE)
_ES_SUFFIXES = ("cion", "ciones", "mente", "ando", "iendo", "amos", "emos", "imos", "ado", "ada", "idos", "idas")
_EN_SUFFIXES = ("tion", "ing", "ness", "ly", "ed", "ship")


@dataclass(frozen=True)
class Detection:
    language: str
    confident: bool  # False when the message gave too little evidence and a fallback was used


class LanguageDetector:
    """Weighs function words, common words, catalogue vocabulary, accents and suffixes."""

    MIN_EVIDENCE = 0.9   # below this much evidence the message is "short": use the fallback
    MIN_MARGIN = 0.5     # a tie within this margin is "mixed": use the fallback

    def __init__(self, domain_words: dict[str, Iterable[str]] | None = None):
        stop = {lang: load_wordlist(f"stopwords_{lang}.txt") for lang in LANGUAGES}
        common = {lang: load_wordlist(f"common_{lang}.txt") | load_wordlist(f"frequent_{lang}.txt")
                  for lang in LANGUAGES}   # the domain's words, and each language's 3,000 most frequent
        self.weights: dict[str, dict[str, float]] = {lang: {} for lang in LANGUAGES}
        domain = {lang: set(domain_words.get(lang, ())) if domain_words else set() for lang in LANGUAGES}
        for lang, other in (("es", "en"), ("en", "es")):
            table = self.weights[lang]
            for word in domain[lang] - domain[other] - stop[other] - common[other]:
                table[word] = 0.6
            for word in common[lang] - common[other] - stop[other]:
                table[word] = 1.0
            for word in stop[lang] - stop[other]:
                table[word] = 1.5

    def scores(self, text: str) -> dict[str, float]:
        score = {lang: 0.0 for lang in LANGUAGES}
        score["es"] += min(len(_SPANISH_MARKS.findall(text)), 3) * 1.0
        for word in fold(text).split():
            known = False
            for lang in LANGUAGES:
                weight = self.weights[lang].get(word)
                if weight:
                    score[lang] += weight
                    known = True
            if not known and len(word) > 4 and not word.isdigit():
                if word.endswith(_ES_SUFFIXES):
                    score["es"] += 0.4
                elif word.endswith(_EN_SUFFIXES):
                    score["en"] += 0.4
        return score

    def detect(self, text: str, fallback: str | None = None) -> Detection:
        """The message's language; short or mixed messages keep `fallback` (the user's last), else Spanish."""
        score = self.scores(text)
        best, other = sorted(LANGUAGES, key=lambda lang: score[lang], reverse=True)
        if score[best] >= self.MIN_EVIDENCE and score[best] - score[other] >= self.MIN_MARGIN:
            return Detection(best, True)
        return Detection(fallback if fallback in LANGUAGES else DEFAULT_LANGUAGE, False)
