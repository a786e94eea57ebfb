"""Issue 17, "Answer first": a specific question gets its short answer first, not the whole entry."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.answers.plain import to_plain
from bot.answers.intents import GENERAL
from tests.knowledge_helpers import edit, problems

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from tune_short_answers import accuracy_at, check_rows, classifier_choice  # noqa: E402


def first_text(answer) -> str:
    return answer.reply.blocks[0].lines[0]


def test_married_eight_months_gets_the_uncertain_two_year_answer_first(engine):
    answer = engine.answer("married 8 months, can I get permanent?", language="en", full=False)
    assert answer.short_answer == "unidad_familiar_permanente.dos_anios", answer.decided_by
    assert first_text(answer).startswith("Not confirmed")
    plain = to_plain(answer.reply)
    assert "Pick a section" in plain and "What to prepare" not in plain   # a pointer, not the whole entry
    assert answer.as_json()["short_answer"] == answer.short_answer


def test_same_appointment_as_the_renewal(engine):
    answer = engine.answer("same appointment as the renewal?", language="en", full=False)
    assert answer.short_answer == "renovacion.misma_cita", answer.decided_by
    assert first_text(answer).startswith("Not for sure")


def test_apostille_as_a_follow_up_answers_from_the_entry_under_discussion(engine):
    answer = engine.answer("apostille?", language="en", full=False, last_entry="unidad_familiar_permanente")
    assert answer.intent == "unidad_familiar_permanente"
    assert answer.short_answer == "unidad_familiar_permanente.apostilla"
    assert first_text(answer).startswith("Probably yes")
    assert "Last checked" in to_plain(answer.reply) or "last checked" in to_plain(answer.reply)  # uncertain footer
    spanish = engine.answer("apostilla?", language="es", full=False, last_entry="regularizacion_vinculo_familiar")
    assert spanish.short_answer == "regularizacion_vinculo_familiar.apostilla"


def test_a_short_answer_with_its_own_appointment_rule_shows_its_badge_in_the_first_block(engine):
    answer = engine.answer("my card expired while I was abroad", language="en", full=False)
    assert answer.short_answer == "regularizacion_documento_vencido.vencio_fuera"
    assert "📅 Needs an appointment" in " ".join(answer.reply.blocks[0].lines)
    assert answer.appointment == "required"


def test_the_terminal_gets_the_short_answer_then_the_whole_entry(engine):
    answer = engine.answer("how many photos do I need to renew", language="en", full=True)
    assert answer.short_answer == "renovacion.fotos", answer.decided_by
    plain = to_plain(answer.reply)
    assert plain.startswith("Three passport-style") and "What to prepare" in plain


def test_a_general_question_still_gets_the_entry(engine):
    answer = engine.answer("renovar residencia temporal", full=False)
    assert answer.intent == "renovacion" and answer.short_answer is None


def test_a_fee_question_answers_the_fee_first(engine):
    answer = engine.answer("how much is the renewal?", language="en", full=False)
    assert answer.intent == "renovacion" and answer.short_answer is None
    assert answer.reply.blocks[0].lines[0] in ("Deadlines", "Government fees (Ley Federal de Derechos)")


def test_an_appointment_question_answers_the_badge_first(engine):
    answer = engine.answer("do I need an appointment for the canje?", language="en", full=False)
    assert answer.intent == "canje"
    assert first_text(answer).startswith("📅")


def test_thanks_with_punctuation_and_emoji_is_small_talk(engine):
    for text in ("gracias!! muy amable", "thanks a lot!!", "mil gracias 🙏", "graciaaas!!"):
        answer = engine.answer(text, full=False)
        assert not answer.unanswered and answer.confidence == 1.0, text
        assert "puedo ayudar" not in to_plain(answer.reply) and "can't help" not in to_plain(answer.reply)


def test_the_held_out_check_set_is_above_the_threshold(engine):
    rows = check_rows()
    assert len(rows) >= 60 and any(r[1] == GENERAL for r in rows)
    in_yaml = {p.lower() for e in engine.catalogue.entries.values() for a in e.answers
               for lang in ("es", "en") for p in a.asks[lang]}
    assert not [q for *_, q in rows if q.lower() in in_yaml]   # held out: none of them is in the YAML
    choices = [(answer, *classifier_choice(engine, entry, question)) for entry, answer, _, question in rows]
    threshold = engine.decision.short_answer
    assert accuracy_at(choices, threshold) > threshold
    general = [c for c in choices if c[0] == GENERAL]
    assert accuracy_at(general, threshold) == 1.0   # never a short answer for a question about the entry as a whole


def test_a_yaml_error_in_an_answer_names_file_entry_and_field(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml", "  - id: salir\n", "  - id: Salir!\n")
    found = problems(knowledge_copy)
    assert "canje.yaml" in found and "entry 'canje'" in found and "'answers[1].id'" in found
