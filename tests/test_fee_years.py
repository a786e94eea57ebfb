"""Every fee carries the year its amount is for (issue 18): validated, shown, and from 1 January of a later year
(by the settable clock, in Mexico City) the reply says the amount may have changed until staff confirm the new
figure; `python -m bot check` lists those fees as warnings without changing its exit code."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.actions import Section
from bot.answers.plain import to_plain
from bot.answers.replies import Composer
from bot.cli import check
from bot.clock import SettableClock
from bot.runtime.config import Settings
from bot.texts import Texts

from .knowledge_helpers import edit, problems

UTC = dt.timezone.utc
LATE_2026 = dt.datetime(2027, 1, 1, 5, 30, tzinfo=UTC)       # 31 Dec 2026, 23:30 in Mexico City
NEW_YEAR_2027 = dt.datetime(2027, 1, 1, 6, 30, tzinfo=UTC)   # 1 Jan 2027, 00:30 in Mexico City


def _fees(catalogue, entry_id: str, lang: str, now: dt.datetime) -> str:
    composer = Composer(catalogue, Texts.load(), clock=SettableClock(now))
    return to_plain(composer.section(catalogue.get(entry_id), Section.FEES, lang))


def test_every_fee_in_the_knowledge_has_a_year(catalogue):
    for entry in catalogue.entries.values():
        for fee in entry.fees:
            assert 2000 <= fee.year <= 2100, (entry.id, fee.concept.en)


@pytest.mark.parametrize("new, expected", [
    ("", "'fees[0].year' is missing: write the year the amount is for, such as 2026"),
    ("    year: 2026-01\n", "'fees[0].year' must be a year such as 2026, got '2026-01'"),
    ("    year: 26\n", "'fees[0].year' must be a year such as 2026, got 26"),
])
def test_a_missing_or_malformed_fee_year_names_file_entry_and_field(knowledge_copy, new, expected):
    edit(knowledge_copy / "procedures" / "reposicion.yaml", "    year: 2026\n", new)
    assert "knowledge/procedures/reposicion.yaml: entry 'reposicion': " + expected in problems(knowledge_copy)


def test_a_fee_for_the_current_year_is_shown_plainly(catalogue):
    text = _fees(catalogue, "reposicion", "en", LATE_2026)
    assert "$1,780 MXN (2026)" in text and "may have changed" not in text


def test_from_the_first_of_january_of_a_later_year_the_amount_may_have_changed(catalogue):
    english = _fees(catalogue, "reposicion", "en", NEW_YEAR_2027)
    assert "$1,780 MXN (2026) (⚠️ this is the 2026 amount: it may have changed since 1 January 2027" in english
    assert "Facts marked ⚠️ are not confirmed" in english                         # the dated footer
    spanish = _fees(catalogue, "reposicion", "es", NEW_YEAR_2027)
    assert "es el monto de 2026: pudo cambiar desde el 1 de enero de 2027" in spanish


def test_an_older_fee_says_so_already_and_keeps_its_own_note(catalogue):
    text = _fees(catalogue, "permiso_salida_regreso", "en", LATE_2026)
    assert "$522 MXN (2023)" in text and "it may have changed since 1 January 2024" in text
    assert "405 pesos in 2018" in text                                            # the note is kept


def test_staff_confirming_the_new_figure_ends_the_warning(knowledge_copy):
    from bot.knowledge.catalogue import load_catalogue
    edit(knowledge_copy / "procedures" / "reposicion.yaml", "    year: 2026\n", "    year: 2027\n")
    text = _fees(load_catalogue(knowledge_copy), "reposicion", "en", NEW_YEAR_2027)
    assert "(2027)" in text and "may have changed" not in text


def test_check_lists_fees_from_before_the_current_year_as_warnings(knowledge_copy, capsys):
    settings = Settings(knowledge_dir=knowledge_copy)
    assert check(settings, SettableClock(LATE_2026)) == 0
    out = capsys.readouterr().out
    assert ("warning: knowledge/procedures/permiso_salida_regreso.yaml: entry 'permiso_salida_regreso': fees[0] "
            "(Exit and re-entry permit) is the 2023 amount; confirm the 2026 figure and set its year") in out
    assert "reposicion" not in out
    assert check(settings, SettableClock(NEW_YEAR_2027)) == 0                     # a warning list, exit code 0
    out = capsys.readouterr().out
    assert "entry 'reposicion': fees[0] (Replacement of a resident card (temporary or permanent)) is the 2026 " \
           "amount; confirm the 2027 figure" in out
    assert "fee(s) from before 2027; users are told those amounts may have changed" in out
