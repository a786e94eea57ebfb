"""A short message that refers back ("what do I bring for it?", "¿y eso cuánto cuesta?", "do I need an
appointment?") is answered about the procedure under discussion, in its first line, instead of searching the whole
catalogue again; a message that names another procedure still gets that procedure (the engine decided it)."""

from __future__ import annotations

import dataclasses
from bot.answers.engine import Answer, AnswerKind, Engine, aspect_section
from bot.answers.text import fold, words
from bot.conversation.facts import FactReader
from bot.knowledge.catalogue import Kind

MAX_WORDS = 8                       # longer messages say enough to be matched on their own
GENERAL = ("citas", "oficinas")     # topics a follow-up about the thread is often mistaken for


class FollowUps:
    def __init__(self, engine: Engine, cues: FactReader):
        self.engine = engine
        self.cues = cues       # the cue phrases of bot/resources/facts.txt ("followup.refer", "followup.appointment")

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
        section = aspect_section(self.engine.matcher.analyzer.tokens(text))
        if not (section or self.cues.says(folded, "followup.appointment") or self.cues.says(folded, "followup.refer")):
            return answer
        lang, composer = answer.language, self.engine.composer
        if section is not None:
            reply = composer.section(entry, section, lang)
        else:   # "do I need an appointment for it?": the entry, which leads with its appointment badge
            reply = composer.entry(entry, lang, full=False)
        return dataclasses.replace(answer, kind=AnswerKind.PROCEDURE, intent=entry.id, candidates=(entry.id,),
                                   reply=reply, unanswered=False, decided_by=f"follow-up: {entry.id}",
                                   appointment=entry.appointment.value if entry.appointment else None)
