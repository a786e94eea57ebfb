"""Locale files: both languages define the same keys with the same placeholders."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.texts import Texts, TextsError


def test_both_languages_have_the_same_keys_and_placeholders():
    texts = Texts.load()  # validates on load
    assert set(texts.tables["es"]) == set(texts.tables["en"])


def test_a_missing_key_is_reported():
    texts = Texts.load()
    broken = Texts({"es": dict(texts.tables["es"]), "en": {k: v for k, v in texts.tables["en"].items()
                                                             if k != "fallback.title"}})
    with pytest.raises(TextsError, match="only in es \\['fallback.title'\\]"):
        broken.validate()


def test_dates_and_weekdays_read_naturally():
    texts = Texts.load()
    assert texts.date("es", dt.date(2026, 11, 20)) == "20 nov 2026"
    assert texts.date("en", dt.date(2026, 11, 20)) == "20 Nov 2026"
    assert texts.weekdays("en", (1, 2, 3, 4, 5)) == "Mon–Fri"
