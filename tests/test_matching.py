"""Matching quality on our own labelled questions, and the behaviours users rely on."""

from __future__ import annotations

import pytest

from bot.answers.evaluation import evaluate, read_labelled
from bot.answers.matcher import MatchKind

from .conftest import DATA

LABELLED_SETS = ("questions_dev.tsv", "questions_holdout.tsv", "questions_round2.tsv")


@pytest.fixture(scope="module")
def report(engine):
    rows = [row for name in LABELLED_SETS for row in read_labelled(DATA / name)]
    assert len(rows) >= 1000
    return evaluate(engine, rows)


def test_in_scope_questions_reach_the_right_entry(report):
    assert report.in_scope_accuracy >= 0.95, report.summary()


def test_out_of_scope_questions_get_the_fallback(report):
    assert report.out_of_scope_accuracy >= 0.90, report.summary()


def test_language_is_detected(report):
    assert report.language_accuracy >= 0.97, report.summary()


@pytest.mark.parametrize("question, expected", [
    ("renobar mi rezidencia temporal", "renovacion"),         # typos and sound-alike spelling
    ("tarjeta bencida", "regularizacion_documento_vencido"),  # typo of a lexicon word
    ("FM3 to FM2", "temporal_a_permanente"),                   # old names
    ("lost my green card", "reposicion"),
    ("se me vence la tarjeta el mes que viene", "renovacion"),  # will expire ...
    ("mi tarjeta ya se venció", "regularizacion_documento_vencido"),  # ... has expired
    ("do I need an appointment for the canje?", "canje"),
    ("CANJE!!!!", "canje"),
])
def test_typical_phrasings(engine, question, expected):
    assert engine.matcher.match(question).entry_id == expected


@pytest.mark.parametrize("question", [
    "how do I renew my driver's license", "my credit card was stolen", "what's the weather in Chapala",
    "asdfgh", "tacos al pastor", "renew my US passport", "cambio de domicilio en el banco",
])
def test_out_of_scope_is_never_forced_onto_a_procedure(engine, question):
    assert engine.matcher.match(question).kind is MatchKind.NONE


def test_two_entries_that_really_fit_are_offered_as_a_choice(engine):
    match = engine.matcher.match("unidad familiar")
    assert match.kind is MatchKind.AMBIGUOUS
    assert set(match.candidates[:2]) == {"unidad_familiar_permanente", "unidad_familiar_temporal"}


def test_short_or_mixed_messages_keep_the_previous_language(engine):
    assert engine.detect_language("canje", previous="en") == "en"
    assert engine.detect_language("canje") == "es"
    assert engine.detect_language("how do I renew my card?", previous="es") == "en"
    assert engine.detect_language("¿cómo renuevo mi tarjeta?", previous="en") == "es"
