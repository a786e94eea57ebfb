"""Example questions in the knowledge and the model learned from them, combined with the lexical matcher."""

from __future__ import annotations

import pytest

from bot.knowledge.catalogue import Kind
from bot.answers.engine import Engine
from bot.answers.attached import Example, with_attached
from bot.answers.matcher import MatchKind

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


def test_staff_attached_examples_are_merged_with_the_entry_own(catalogue):
    merged = with_attached(catalogue, [Example("renovacion", "es", "mi papelito de gringo ya casi no sirve"),
                                       Example("none", "es", "mi gato perdió su collar"),
                                       Example("no_such_entry", "es", "left out")])
    assert "mi gato perdió su collar" in merged.out_of_scope["es"]
    entry = merged.get("renovacion")
    assert "mi papelito de gringo ya casi no sirve" in entry.examples["es"]
    assert "renovar temporal" in entry.examples["es"]  # the entry's own examples are still there
    assert entry.attached == {"es": ("mi papelito de gringo ya casi no sirve",), "en": ()}


def test_the_classifier_decides_a_question_no_keyword_covers_and_says_how_sure(engine):
    question = "el perro mordio mi tarjeta de residente, ya no se lee bien"
    assert engine.matcher.match(question).kind is MatchKind.NONE  # the lexical matcher finds nothing
    answer = engine.answer(question)
    assert answer.intent == "reposicion" and answer.kind == "procedure"
    assert answer.decided_by.startswith("classifier: ")
    assert float(answer.decided_by.removeprefix("classifier: ")) >= engine.decision.threshold


def test_the_classifier_overrules_the_lexical_matchers_first_choice(engine):
    question = "el perro se comio mi tarjeta de residente"
    answer = engine.answer(question)
    assert answer.intent == "reposicion" and answer.decided_by.startswith("classifier: ")


def test_a_keyword_phrase_decides_when_the_classifier_is_unsure_and_can_be_switched_off(engine):
    question = "bisa por oferta laboral"          # a typo the lexical matcher corrects
    answer = engine.answer(question)
    assert answer.intent == "visas" and answer.decided_by == "phrase: visa por oferta laboral"
    assert answer.as_json()["decided_by"] == answer.decided_by
    without = Engine(engine.catalogue, data_dir=engine.cache.data_dir, lexical=False)
    assert without.answer(question).intent is None    # the classifier alone does not claim it


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


def test_a_staff_attached_example_changes_the_answer_and_reload_keeps_it(knowledge_copy):
    engine = Engine.from_directory(knowledge_copy)
    question = "mi papelito plastificado de gringo jubilado ya no sirve"
    assert engine.answer(question).intent != "renovacion"
    engine.use_attached([Example("renovacion", "es", question)])  # what the /unanswered button does, after storing
    answer = engine.answer(question)
    assert answer.intent == "renovacion" and answer.decided_by == f"example: {question}"
    engine.reload(knowledge_copy)  # the attached examples are kept
    assert engine.answer(question).intent == "renovacion"
    assert list(knowledge_copy.rglob("examples")) == []  # nothing written into the knowledge


def test_the_classifier_learns_every_entry_and_the_out_of_scope_lines(engine, catalogue):
    assert set(engine.intents.classes) == set(catalogue.entries) | {"none"}   # referrals are their own classes
    assert all(e.kind is not Kind.REFERRAL or e.examples["en"] for e in catalogue.entries.values())
