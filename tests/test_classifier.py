"""The intent classifier: numpy serving equals scikit-learn, its cache, its out-of-scope class and its decisions."""

from __future__ import annotations

import logging
from collections import OrderedDict

import numpy as np
import pytest

from bot.answers.classifier import Classifier, ClassifierSettings, sklearn_probabilities, train
from bot.answers.engine import Engine
from bot.answers.intents import GENERAL, NONE, answer_label, answer_samples, intent_samples
from bot.answers.plain import to_plain
from bot.answers import weights_cache
from bot.answers.weights_cache import WeightsCache
from bot.knowledge.catalogue import load_catalogue
from bot.runtime.config import ConfigError, Settings

from .knowledge_helpers import edit, problems

QUESTIONS = ["se me vence la tarjeta el mes que viene", "where can I buy a sim card", "renobar rezidencia",
             "perdí mi tarjeta de residente en el camión", "", "xyzzy qwerty", "¿cuánto cuesta el canje?",
             "my wife is Mexican, can I stay?", "RFC", "tengo 4 años de temporal, ya puedo pasar a permanente"]


@pytest.fixture
def forget(monkeypatch):
    """Call it to forget the weights this process remembers (as after a restart), for this test only."""
    def forget_memory() -> None:
        monkeypatch.setattr(weights_cache, "_memory", OrderedDict())
    return forget_memory


def small_training(catalogue, entries=("canje", "renovacion", "reposicion", "ref_sat", "citas")):
    """A slice of the real training data (a few entries and the out-of-scope lines): trains in a second."""
    texts, labels = intent_samples(catalogue)
    keep = [i for i, label in enumerate(labels) if label in entries or (label == NONE and i % 3 == 0)]
    return [texts[i] for i in keep], [labels[i] for i in keep]


def test_numpy_probabilities_equal_scikit_learns(catalogue):
    texts, labels = small_training(catalogue)
    weights, expected = sklearn_probabilities(texts, labels, QUESTIONS)
    served = np.array([Classifier(weights).probabilities(q) for q in QUESTIONS])
    assert served.shape == expected.shape == (len(QUESTIONS), 6)
    assert np.abs(served - expected).max() < 1e-6
    assert np.allclose(served.sum(axis=1), 1.0)


def test_two_labels_are_served_alike(catalogue):
    """An entry's short answers against "general": scikit-learn's binary case, written as two columns."""
    texts, labels = answer_samples(catalogue.get("citas"))   # one short answer: the binary case
    assert set(labels) == {answer_label(0), GENERAL}
    weights, expected = sklearn_probabilities(texts, labels, QUESTIONS + ["is the portal in english?"])
    served = np.array([Classifier(weights).probabilities(q) for q in QUESTIONS + ["is the portal in english?"]])
    assert np.abs(served - expected).max() < 1e-6


def test_training_is_deterministic(catalogue):
    texts, labels = small_training(catalogue)
    first, second = train(texts, labels), train(texts, labels)
    assert first.features == second.features and first.classes == second.classes
    assert np.array_equal(first.coef, second.coef) and np.array_equal(first.sigmoid_a, second.sigmoid_a)


def test_weights_survive_the_npz_round_trip(tmp_path, catalogue, forget):
    texts, labels = small_training(catalogue)
    calls = []

    def trainer(*args):
        calls.append(1)
        return train(*args)

    forget()
    cache = WeightsCache(tmp_path, trainer=trainer)
    trained = Classifier(cache.weights("small", texts, labels, ClassifierSettings()))
    forget()
    loaded = Classifier(WeightsCache(tmp_path, trainer=trainer).weights("small", texts, labels, ClassifierSettings()))
    assert len(calls) == 1
    for question in QUESTIONS:
        assert np.array_equal(trained.probabilities(question), loaded.probabilities(question))


# ------------------------------------------------------------------------------------------------ the cache
def test_the_trained_weights_are_cached_in_data_dir_and_reused(tmp_path, catalogue, forget):
    data_dir = tmp_path / "data"
    first = Engine(catalogue, data_dir=data_dir)
    cached = list((data_dir / "classifier").glob("intents-*.npz"))
    assert len(cached) == 1
    forget()  # as after a restart: only the file is left
    second = Engine(catalogue, data_dir=data_dir)
    assert second.cache.trained == 0
    assert second.answer("se me vence la tarjeta").intent == first.answer("se me vence la tarjeta").intent


def test_changed_knowledge_is_retrained_and_replaces_the_old_weights(tmp_path, knowledge_copy):
    data_dir = tmp_path / "data"
    Engine.from_directory(knowledge_copy, data_dir=data_dir)
    before = list((data_dir / "classifier").glob("intents-*.npz"))
    edit(knowledge_copy / "procedures" / "reposicion.yaml", "examples:\n  es:\n",
         "examples:\n  es:\n    - el loro de mi vecino se trago mi credencial de extranjero\n")
    engine = Engine.from_directory(knowledge_copy, data_dir=data_dir)
    after = list((data_dir / "classifier").glob("intents-*.npz"))
    assert engine.cache.trained == 1 and len(before) == len(after) == 1 and before != after
    assert engine.answer("el loro de mi vecino se trago mi credencial de extranjero").intent == "reposicion"


def test_an_unwritable_data_dir_still_answers_and_warns_once(tmp_path, catalogue, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="bot.answers.weights_cache"):
        engine = Engine(catalogue, data_dir=blocked / "data")   # cannot be created: a file is in the way
        Engine(catalogue, data_dir=blocked / "data")
    warnings = [r for r in caplog.records if "cannot keep the trained classifier" in r.getMessage()]
    assert len(warnings) == 1 and "DATA_DIR" in warnings[0].getMessage()
    assert engine.answer("se me vence la tarjeta de residente temporal").intent == "renovacion"


def test_data_dir_defaults_to_the_database_folder_and_must_be_a_folder(tmp_path):
    assert Settings.from_env({"DATABASE_PATH": str(tmp_path / "db" / "bot.sqlite3")}).data_dir == tmp_path / "db"
    assert Settings.from_env({"DATA_DIR": str(tmp_path / "cache")}).data_dir == tmp_path / "cache"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="DATA_DIR must be a folder"):
        Settings.from_env({"DATA_DIR": str(tmp_path / "file")})


# ------------------------------------------------------------------------------------------------ the knowledge
def test_every_out_of_scope_line_is_answered_as_none(engine, catalogue):
    claimed = [(line, engine.answer(line).intent) for lang in ("es", "en") for line in catalogue.out_of_scope[lang]
               if engine.answer(line).kind != "none"]
    assert len(catalogue.out_of_scope["es"]) >= 250 and len(catalogue.out_of_scope["en"]) >= 250
    assert claimed == []


@pytest.mark.parametrize("question", [
    "¿a qué hora cierra el banco azteca en chapala?", "which gym in zapopan has a sauna",
    "mi casero quiere que renueve el contrato por dos años", "my phone plan expires tomorrow, how do I renew",
    "cita para vacunar al gato", "tell me a story about dragons",
])
def test_new_everyday_questions_are_not_claimed(engine, question):
    answer = engine.answer(question)
    assert (answer.kind, answer.intent, answer.referral) == ("none", None, None), answer.decided_by


def test_a_malformed_out_of_scope_file_names_the_file_and_the_problem(knowledge_copy):
    path = knowledge_copy / "out_of_scope.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("en:\n", "fr:\n  - bonjour\nen:\n", 1) + "  - ''\n  - 42\n", encoding="utf-8")
    message = problems(knowledge_copy)
    assert "knowledge/out_of_scope.yaml: unknown key 'fr' (allowed: es, en)" in message
    assert "knowledge/out_of_scope.yaml: 'en' holds empty or non-text values: ['', 42]" in message
    path.write_text("es: [hola]\nen: como saco mi curp\n", encoding="utf-8")
    assert "knowledge/out_of_scope.yaml: 'en' must be a non-empty list of questions" in problems(knowledge_copy)
    path.write_text("es: [renovar temporal]\nen: [renovar temporal]\n", encoding="utf-8")
    assert ("knowledge/out_of_scope.yaml: 'es' line 'renovar temporal' is also an example of entry 'renovacion'"
            in problems(knowledge_copy))
    path.write_text("es: [hola\n", encoding="utf-8")
    assert "knowledge/out_of_scope.yaml: YAML syntax error" in problems(knowledge_copy)
    path.unlink()
    assert "out_of_scope.yaml (questions no entry answers" in problems(knowledge_copy)


# ------------------------------------------------------------------------------------------------ decisions
@pytest.mark.parametrize("question, family, expected_title", [
    ("cambio por unidad familiar", {"unidad_familiar_temporal", "unidad_familiar_permanente"},
     "¿Temporal o permanente: qué residencia solicitas por tu vínculo familiar?"),
    ("family unity change of status", {"unidad_familiar_temporal", "unidad_familiar_permanente"},
     "Temporary or permanent: which residency are you applying for through your family tie?"),
])
def test_a_family_split_without_its_deciding_fact_asks_which_one_with_buttons(engine, question, family,
                                                                               expected_title):
    answer = engine.answer(question)
    assert answer.kind == "ambiguous" and answer.intent is None and set(answer.candidates) == family
    assert to_plain(answer.reply).startswith(expected_title)
    assert {b.action for b in answer.reply.buttons} == {f"e:{entry_id}" for entry_id in family}
    assert answer.decided_by.startswith(("classifier: ", "phrases: "))   # the classifier, or the keyword phrases


def test_the_deciding_fact_stated_gets_the_procedure(engine):
    assert engine.answer("quiero la residencia permanente por unidad familiar, mi esposa es mexicana"
                         ).intent == "unidad_familiar_permanente"
    assert engine.answer("temporary residency through my husband's temporary residency").intent == \
        "unidad_familiar_temporal"


@pytest.mark.parametrize("question, intent", [
    ("se me vence la tarjeta de residente temporal, como la renuevo", "renovacion"),
    ("acabo de llegar con la visa de residente, como hago el canje", "canje"),
    ("perdí mi tarjeta de residente permanente", "reposicion"),
    ("me cambié de domicilio, tengo que avisar al INM?", "notificacion_cambios"),
    ("my temporary resident card expires next month, how do I renew it", "renovacion"),
    ("I lost my residency card at the beach", "reposicion"),
    ("how do I book an appointment on the INM website", "citas"),
    ("I'm a temporary resident, can I get permission to work?", "permiso_trabajo"),
])
def test_typical_questions_get_their_entry(engine, question, intent):
    answer = engine.answer(question)
    assert answer.intent == intent, answer.decided_by
    assert answer.as_json()["decided_by"] == answer.decided_by


def test_an_entrys_short_answers_get_a_classifier_of_their_own(engine):
    classifier = engine.answer_classifier("renovacion")
    assert set(classifier.classes) == {answer_label(i) for i in range(7)} | {GENERAL}
    assert classifier.predict("can't I renew one more time?").label == answer_label(6)
    assert classifier.predict("cuanto cuesta renovar la temporal").label == GENERAL
    assert engine.answer_classifier("suscripcion") is None   # no `answers:` in that entry


def test_a_trainer_that_fails_is_reported_like_bad_knowledge(monkeypatch):
    from bot.answers import training
    from bot.knowledge.catalogue import KnowledgeError
    monkeypatch.setattr(training.sys, "executable", "/nonexistent/python")
    with pytest.raises(KnowledgeError, match="the classifier could not be trained from the knowledge"):
        training.train_in_child(["a b", "c d"], ["x", "y"], ClassifierSettings())
