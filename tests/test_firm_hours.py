"""The firm's office hours are an assumption until staff confirm them (issue 11).

While `hours.confirmed` is false in knowledge/firm.yaml, users are never told those hours (contact answers, full
procedure answers), `python -m bot check` lists them among the placeholders, and the firm object says so
(`firm.hours_confirmed` is False, `firm.confirmed_hours` is None) for the hand-off code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge.catalogue import KnowledgeError, load_catalogue
from bot.answers.replies import Composer
from bot.answers.plain import to_plain
from bot.texts import Texts

from .conftest import ROOT
from .knowledge_helpers import edit

HOURS_WORDS = ("09:00", "18:00", "Office hours", "Horario", "closed", "cerrada")


def _confirm(knowledge: Path) -> None:
    firm = knowledge / "firm.yaml"
    edit(firm, "\n  confirmed: false\n", "\n  confirmed: true\n")
    text = firm.read_text(encoding="utf-8")
    start = text.index("  note: \"PLACEHOLDER")
    end = text.index("\n", start)
    firm.write_text(text[:start] + '  note: "Confirmed by staff"' + text[end:], encoding="utf-8")


def _contact_texts(catalogue) -> dict[str, str]:
    composer = Composer(catalogue, Texts.load())
    return {lang: to_plain(composer.contact(lang)) for lang in ("es", "en")}


def test_real_firm_hours_are_not_confirmed(catalogue):
    firm = catalogue.firm
    assert firm.hours_confirmed is False
    assert firm.confirmed_hours is None
    assert firm.timezone == "America/Mexico_City"  # still available for staff-facing times


def test_unconfirmed_hours_are_listed_as_a_placeholder(catalogue):
    where = {p.where for p in catalogue.placeholders if p.file.endswith("firm.yaml")}
    assert any(w.startswith("hours") for w in where)


def test_contact_never_shows_unconfirmed_hours(catalogue):
    for lang, text in _contact_texts(catalogue).items():
        for word in HOURS_WORDS:
            assert word not in text, (lang, word)
    texts = _contact_texts(catalogue)
    assert "as soon as possible" in texts["en"]
    assert "lo antes posible" in texts["es"]


def test_full_answers_never_show_unconfirmed_hours(engine, catalogue):
    for entry in catalogue.entries.values():
        for lang in ("es", "en"):
            text = to_plain(engine.composer.entry(entry, lang, full=True))
            assert "09:00" not in text and "18:00" not in text, (entry.id, lang)


def test_confirmed_hours_are_shown(knowledge_copy):
    _confirm(knowledge_copy)
    catalogue = load_catalogue(knowledge_copy)
    assert catalogue.firm.hours_confirmed is True
    assert catalogue.firm.confirmed_hours is catalogue.firm.hours
    assert not any(p.where.startswith("hours") for p in catalogue.placeholders)
    texts = _contact_texts(catalogue)
    assert "Office hours: Mon–Fri, 09:00–18:00" in texts["en"]
    assert "Horario: lun–vie, 09:00–18:00" in texts["es"]


def test_missing_confirmation_flag_is_refused(knowledge_copy):
    edit(knowledge_copy / "firm.yaml", "\n  confirmed: false\n", "\n")
    with pytest.raises(KnowledgeError) as info:
        load_catalogue(knowledge_copy)
    assert "knowledge/firm.yaml: entry 'firm': 'hours.confirmed' is missing" in str(info.value)


def test_non_boolean_confirmation_flag_is_refused(knowledge_copy):
    edit(knowledge_copy / "firm.yaml", "\n  confirmed: false\n", "\n  confirmed: maybe\n")
    with pytest.raises(KnowledgeError) as info:
        load_catalogue(knowledge_copy)
    assert "'hours.confirmed' must be true or false, got 'maybe'" in str(info.value)


def test_confirmed_with_placeholder_note_is_refused(knowledge_copy):
    edit(knowledge_copy / "firm.yaml", "\n  confirmed: false\n", "\n  confirmed: true\n")
    with pytest.raises(KnowledgeError) as info:
        load_catalogue(knowledge_copy)
    assert "'hours.confirmed' is true but 'hours.note' is still a placeholder" in str(info.value)


def test_unconfirmed_hours_without_placeholder_note_are_still_listed(knowledge_copy):
    firm = knowledge_copy / "firm.yaml"
    text = firm.read_text(encoding="utf-8")
    start = text.index("  note: \"PLACEHOLDER")
    end = text.index("\n", start)
    firm.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    catalogue = load_catalogue(knowledge_copy)
    hours = [p for p in catalogue.placeholders if p.where.startswith("hours")]
    assert len(hours) == 1 and hours[0].where == "hours.confirmed"
    assert hours[0].value.startswith("PLACEHOLDER")


def test_check_command_lists_the_unconfirmed_hours(knowledge_copy):
    env = {"KNOWLEDGE_DIR": str(knowledge_copy), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "bot", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "warning: knowledge/firm.yaml: hours.note is still a placeholder" in result.stdout
