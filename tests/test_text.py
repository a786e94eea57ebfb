"""Normalisation: case, accents, punctuation, repeated letters, old names and stop words."""

from __future__ import annotations

from bot.answers.text import Analyzer, fold, phonetic_key


def test_fold_removes_case_accents_punctuation_and_stretching():
    assert fold("¡¡Renovación de RESIDENCIAAAA!!") == "renovacion de residencia"
    assert fold("llegar   carro") == "llegar carro"  # real double letters survive
    assert fold("🙂🙂") == ""
    assert fold("a\x00b\x1bc") == "a b c"


def test_old_names_and_both_languages_meet_in_one_concept():
    analyzer = Analyzer()
    assert analyzer.tokens("FM3") == analyzer.tokens("temporary") == analyzer.tokens("residente temporal")[1:]
    assert "PERMANENT" in analyzer.tokens("green card")
    assert analyzer.tokens("mi tarjeta ya se venció") == ["CARD", "EXPIRED"]
    assert analyzer.tokens("my card expires next month")[:2] == ["CARD", "EXPIRING"]


def test_stop_words_in_both_languages_are_dropped():
    assert Analyzer().tokens("hola, quiero saber de la renovación por favor") == ["renovacion"]
    assert Analyzer().tokens("hi, I would like to know please") == []


def test_spanish_sound_alike_spellings_share_a_key():
    assert phonetic_key("rezidensia") == phonetic_key("residencia")
    assert phonetic_key("bisa") == phonetic_key("visa")
