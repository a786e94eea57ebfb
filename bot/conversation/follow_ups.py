"""A short message that refers back ("what do I bring for it?", "¿y eso cuánto cuesta?", "do I need an
appointment?") is answered about the procedure under discussion, in its first line, instead of searching the whole
catalogue again; a message that names another procedure still gets that procedure (the engine decided it)."""

from __future__ import annotations

import dataclasses
from re import Pattern

from bot.actions import Section
from bot.answers.engine import Answer, AnswerKind, Engine
from bot.answers.text import fold, phrase_pattern, resource_lines, words
from bot.knowledge.catalogue import Kind

MAX_WORDS = 8                       # longer messages say enough to be matched on their own
GENERAL = ("citas", "oficinas")     # topics a follow-up about the thread is often mistaken for
ASPECT_SECTION = {"FEE": Section.FEES, "DOCS": Section.REQUIREMENTS, "DEADLINE": Section.FEES}


def _cue(name: str) -> Pattern[str] | None:
    phrases = [p.strip() for line in resource_lines("facts.txt") if line.startswith(f"{name}:")
               for p in line.partition(":")[2].split(",")]
    return phrase_pattern(p for p in phrases if p)


class FollowUps:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._refers = _cue("followup.refer")
        self._appointment = _cue("followup.appointment")

    def answer(self, answer: Answer, text: str, thread: str | None) -> Answer:
        """The engine's answer, or the thread's when the message is a follow-up the engine could not place."""
        entry = self.engine.catalogue.entries.get(thread) if thread else None
        if entry is None or entry.kind is not Kind.PROCEDURE or not isinstance(text, str):
            return answer
        if answer.referral is not None or len(words(text)) > MAX_WORDS:
            return answer
        if not (answer.kind == AnswerKind.NONE or (answer.kind == AnswerKind.TOPIC and answer.intent in GENERAL)):
            return answer
        folded = fold(text)
        aspects = set(self.engine.matcher.analyzer.tokens(text)) & set(ASPECT_SECTION)
        asks_appointment = self._appointment is not None and self._appointment.search(folded) is not None
        refers = self._refers is not None and self._refers.search(folded) is not None
        if not (aspects or asks_appointment or refers):
            return answer
        lang = answer.language
        composer = self.engine.composer
        section = next((ASPECT_SECTION[a] for a in ("FEE", "DOCS", "DEADLINE") if a in aspects), None)
        if section is not None:
            reply = composer.section(entry, section, lang)
        else:   # "do I need an appointment for it?": the entry, which leads with its appointment badge
            reply = composer.entry(entry, lang, full=False)
        return dataclasses.replace(answer, kind=AnswerKind.PROCEDURE, intent=entry.id, candidates=(entry.id,),
                                   reply=reply, unanswered=False, decided_by=f"follow-up: {entry.id}",
                                   appointment=entry.appointment.value if entry.appointment else None)
