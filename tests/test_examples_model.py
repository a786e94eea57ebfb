"""Example questions in the knowledge and the model learned from them, combined with the lexical matcher."""

from __future__ import annotations

import pytest

from bot.knowledge.catalogue import Kind, load_catalogue
from bot.answers.engine import Engine, model_samples
from bot.answers.examples import add_example
from bot.answers.matcher import MatchKind
from bot.answers.model import ExampleModel

from .knowledge_helpers import edit, problems


def test_every_entry_carries_examples_in_both_languages(catalogue):
    for entry in catalogue.entries.values():
        for lang in ("es", "en"):
            assert len(entry.examples[lang]) >= 8, (entry.id, lang)


def test_an_empty_or_non_text_example_names_file_entry_and_field(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml", "examples:\n  es:\n", "examples:\n  es:\n    - ''\n    - 42\n")
    message = problems(knowledge_copy)
    assert "knowledge/procedures/canje.yaml: entry 'canje': 'examples.es' holds empty or non-text values: ['', 42]" \
        in message


def test_examples_must_be_lists_per_language(knowledge_copy):
    path = knowledge_copy / "referrals" / "ref_sat.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("examples:")] + "examples: [como saco mi rfc]\n", encoding="utf-8")
    assert ("knowledge/referrals/ref_sat.yaml: entry 'ref_sat': 'examples' must be a mapping with 'es' and 'en' lists"
            in problems(knowledge_copy))
    path.write_text(text[:text.index("examples:")] + "examples:\n  es: [como saco mi rfc]\n  fr: [mon rfc]\n",
                    encoding="utf-8")
    message = problems(knowledge_copy)
    assert "entry 'ref_sat': 'examples' has unknown language 'fr'" in message
    assert "entry 'ref_sat': 'examples' is missing the 'en' list" in message


def test_staff_attached_examples_are_merged_with_the_entry_own(knowledge_copy):
    (knowledge_copy / "examples").mkdir()
    (knowledge_copy / "examples" / "renovacion.yaml").write_text(
        "entry: renovacion\nexamples:\n  es: [mi papelito de gringo ya casi no sirve]\n", encoding="utf-8")
    entry = load_catalogue(knowledge_copy).get("renovacion")
    assert "mi papelito de gringo ya casi no sirve" in entry.examples["es"]
    assert "renovar temporal" in entry.examples["es"]  # the entry's own examples are still there
    assert entry.attached == {"es": ("mi papelito de gringo ya casi no sirve",), "en": ()}


def test_the_model_decides_a_question_no_keyword_covers_and_names_the_example(engine):
    question = "el perro mordio mi tarjeta de residente, ya no se lee bien"
    assert engine.matcher.match(question).kind is MatchKind.NONE  # the lexical matcher finds nothing
    answer = engine.answer(question)
    assert answer.intent == "reposicion" and answer.kind == "procedure"
    assert answer.decided_by == "example: el perro mordio mi tarjeta de residente y ya no se lee"
    assert answer.decided_by.removeprefix("example: ") in engine.catalogue.get("reposicion").examples["es"]


def test_the_model_re_ranks_what_the_lexical_matcher_found(engine):
    question = "el perro se comio mi tarjeta de residente"
    answer = engine.answer(question)
    assert answer.intent == "reposicion"
    assert answer.decided_by == "example: el perro mordio mi tarjeta de residente y ya no se lee"


def test_a_keyword_answer_names_the_phrase_that_decided(engine):
    answer = engine.answer("renovar mi rezidencia temporal")
    assert answer.intent == "renovacion" and answer.decided_by == "phrase: renovación de residencia temporal"
    assert answer.as_json()["decided_by"] == answer.decided_by


@pytest.mark.parametrize("question", [
    "what's the weather in Chapala", "tacos al pastor", "my credit card was stolen", "asdfgh",
    "where can I buy a sim card", "best beach in vallarta", "rent an apartment in guadalajara",
    "recommend a good dentist in ajijic",
])
def test_out_of_scope_questions_are_still_refused(engine, question):
    answer = engine.answer(question)
    assert answer.kind == "none" and answer.intent is None, answer.decided_by
    assert answer.referral is None


@pytest.mark.parametrize("question, referral", [
    ("quiero ser ciudadano mexicano, ya llevo años aqui", "ref_nacionalidad"),
    ("rfc del SAT", "ref_sat"),
    ("how do i bring my furniture from arizona", "ref_menaje"),
    ("votar en las elecciones", "ref_ine"),
])
def test_referrals_are_still_reached(engine, question, referral):
    answer = engine.answer(question)
    assert answer.kind == "none" and answer.intent is None and answer.referral == referral


def test_the_fork_between_two_procedures_is_still_a_question(engine):
    assert engine.answer("unidad familiar").kind == "ambiguous"


def test_a_staff_attached_example_changes_the_answer_after_reload(knowledge_copy):
    engine = Engine.from_directory(knowledge_copy)
    question = "mi papelito plastificado de gringo jubilado ya no sirve"
    assert engine.answer(question).intent != "renovacion"
    add_example(engine, knowledge_copy, "renovacion", "es", question)  # what the /unanswered button does
    answer = engine.answer(question)
    assert answer.intent == "renovacion" and answer.decided_by == f"example: {question}"
    fresh = Engine.from_directory(knowledge_copy)  # and after a restart
    assert fresh.answer(question).intent == "renovacion"


def test_the_model_trains_deterministically(catalogue):
    """(How fast it trains is measured by bench/bench_matching.py, not asserted here: a loaded machine is slow.)"""
    first = ExampleModel(model_samples(catalogue))
    second = ExampleModel(model_samples(catalogue))
    question = "my temp card runs out soon what do i do"
    assert first.guess(question) == second.guess(question)
    assert {s.entry_id for s in first.samples} == set(catalogue.entries)
    assert any(s.entry_id == "ref_sat" for s in first.samples)  # referrals are learned too
    assert all(e.kind is not Kind.REFERRAL or e.examples["en"] for e in catalogue.entries.values())
