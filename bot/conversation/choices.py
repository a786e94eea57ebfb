"""A "which one?" answered in words ("la permanente", "sí, ya cumplí 4 años", "not yet") as well as with its buttons.

The words per entry of each known family are data (bot/resources/family_answers.txt); a reply is taken only when it
is short and names exactly one of the choices on offer, so a new question is never mistaken for an answer.
"""

from __future__ import annotations

from re import Pattern
from typing import Callable

from bot.actions import Kind, parse
from bot.answers.text import fold, phrase_pattern, resource_lines, words

MAX_WORDS = 8
ALWAYS_AN_ANSWER = 3   # "la permanente", "not yet": too short to be a new question
MAX_OFFERED = 4      # a "which one?" offers its two choices (and perhaps the menu); a full answer offers more


class WordChoices:
    def __init__(self) -> None:
        phrases: dict[str, list[str]] = {}
        self._families: dict[str, set[str]] = {}
        for line in resource_lines("family_answers.txt"):
            family, entry_id, listed = (part.strip() for part in line.split(":", 2))
            phrases.setdefault(entry_id, []).extend(p.strip() for p in listed.split(",") if p.strip())
            self._families.setdefault(family, set()).add(entry_id)
        self._patterns: dict[str, Pattern[str] | None] = {e: phrase_pattern(p) for e, p in phrases.items()}

    def choose(self, pending: tuple[str, ...], text: str,
               decided: Callable[[str], str | None] = lambda _: None) -> str | None:
        """The pending button action the words pick, or None (not a short reply naming exactly one choice, or a
        message the engine places elsewhere on its own: `decided` is its entry for the text alone)."""
        if not isinstance(text, str) or not pending or len(pending) > MAX_OFFERED or len(words(text)) > MAX_WORDS:
            return None
        offered = {}
        for action in pending:
            parsed = parse(action)
            if parsed is not None and parsed.kind is Kind.ENTRY and parsed.value in self._patterns:
                offered[parsed.value] = action
        if not any(set(offered) == members for members in self._families.values()):
            return None   # not the two choices of one family's question
        folded = fold(text)
        named = [entry_id for entry_id in offered
                 if (pattern := self._patterns[entry_id]) is not None and pattern.search(folded)]
        if len(named) != 1:
            return None
        if len(words(text)) <= ALWAYS_AN_ANSWER:
            return offered[named[0]]
        elsewhere = decided(text)
        return None if elsewhere is not None and elsewhere not in offered else offered[named[0]]
