"""Fold text the one way every part compares it (the engine, the stored questions, staff-attached examples)."""

from __future__ import annotations

import re
import unicodedata

MAX_ANALYSED_CHARS = 1000  # a 10,000-character message is answered from its opening, like a person would
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "holaaaa" -> "hola"; real double letters (ll, rr, ee) survive


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, squeeze letters repeated three or more times."""
    text = unicodedata.normalize("NFKD", text[:MAX_ANALYSED_CHARS])
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _REPEATS.sub(r"\1", _NON_WORD.sub(" ", text)).strip()
