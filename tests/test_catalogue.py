"""Knowledge loading: the real catalogue is complete, and every kind of mistake is named precisely."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


from bot.knowledge.catalogue import REQUIRED_IDS, Appointment, Kind, load_catalogue

from .conftest import ROOT
from .knowledge_helpers import edit, problems


def test_every_stable_id_is_present_with_the_right_appointment(catalogue):
    assert set(REQUIRED_IDS) <= set(catalogue.entries)
    expected = {"canje": Appointment.REQUIRED, "notificacion_cambios": Appointment.REQUIRED,
                "visas": Appointment.UNCONFIRMED, "regularizacion_programa_especial": Appointment.NOT_REQUIRED,
                "permiso_salida_regreso": Appointment.UNCONFIRMED}
    for entry_id, appointment in expected.items():
        assert catalogue.get(entry_id).appointment is appointment
    assert {e.id for e in catalogue.topics()} == {"citas", "oficinas", "contacto", "suscripcion"}


def test_procedures_carry_sources_and_a_review_date(catalogue):
    for entry in catalogue.procedures():
        assert entry.sources, entry.id
        assert entry.reviewed.year >= 2026, entry.id
        assert entry.keywords["es"] and entry.keywords["en"], entry.id


def test_firm_details_are_placeholders_until_known(catalogue):
    fields = {p.where for p in catalogue.placeholders if p.file.endswith("firm.yaml")}
    assert {"email", "phone"} <= fields


def test_missing_translation_names_file_entry_and_field(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml",
          "  en: Exchange of your resident visa for the resident card (canje)\n", "")
    message = problems(knowledge_copy)
    assert "knowledge/procedures/canje.yaml: entry 'canje': 'name' is missing the 'en' translation" in message


def test_duplicate_id_is_refused(knowledge_copy):
    shutil.copy(knowledge_copy / "procedures" / "canje.yaml", knowledge_copy / "procedures" / "canje_copy.yaml")
    assert "canje_copy.yaml: entry 'canje': duplicate id: already defined in knowledge/procedures/canje.yaml" \
        in problems(knowledge_copy)


def test_unknown_field_is_refused(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml", "kind: procedure", "kind: procedure\ncolour: blue")
    assert "entry 'canje': unknown field 'colour'" in problems(knowledge_copy)


def test_bad_date_is_refused(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml", "reviewed: 2026-12-01", "reviewed: 01/12/2026")
    assert "entry 'canje': 'reviewed' must be a date written YYYY-MM-DD, got '01/12/2026'" \
        in problems(knowledge_copy)


def test_yaml_syntax_error_gives_line_and_column(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml", "kind: procedure", "kind: [procedure")
    message = problems(knowledge_copy)
    assert "knowledge/procedures/canje.yaml: YAML syntax error at line" in message


def test_bad_appointment_value_and_fee_year(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml", "appointment: required", "appointment: maybe")
    edit(knowledge_copy / "procedures" / "canje.yaml", "year: 2026", "year: twenty")
    message = problems(knowledge_copy)
    assert "'appointment' must be 'required', 'not_required' or 'unconfirmed', got 'maybe'" in message
    assert "'fees[0].year' must be a year such as 2026, got 'twenty'" in message


def test_related_must_name_existing_entries(knowledge_copy):
    edit(knowledge_copy / "procedures" / "canje.yaml", "related: [", "related: [no_such_entry, ")
    assert "'related' names unknown entry 'no_such_entry'" in problems(knowledge_copy)


def test_missing_stable_entry_is_refused(knowledge_copy):
    (knowledge_copy / "procedures" / "visas.yaml").unlink()
    assert "missing catalogue entries: visas" in problems(knowledge_copy)


def _check(knowledge: Path) -> subprocess.CompletedProcess:
    env = {"KNOWLEDGE_DIR": str(knowledge), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "bot", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_check_command_warns_about_placeholders_and_fails_on_errors(knowledge_copy):
    ok = _check(knowledge_copy)
    assert ok.returncode == 0, ok.stderr
    assert "warning: knowledge/firm.yaml: email is still a placeholder" in ok.stdout
    edit(knowledge_copy / "topics" / "citas.yaml", "kind: topic", "kind: topic\nextra: 1")
    broken = _check(knowledge_copy)
    assert broken.returncode == 1
    assert "knowledge/topics/citas.yaml: entry 'citas': unknown field 'extra'" in broken.stderr


def test_kinds_are_consistent(catalogue):
    for entry in catalogue.entries.values():
        assert (entry.appointment is None) == (entry.kind is not Kind.PROCEDURE), entry.id
        if entry.kind is Kind.REFERRAL:  # who handles it, where to go, what the firm can still do, with a source
            assert entry.summary.es and entry.summary.en and entry.steps and entry.notes and entry.sources, entry.id


def test_a_specific_answer_without_a_source_is_refused(knowledge_copy):
    edit(knowledge_copy / "procedures" / "renovacion.yaml", "not another renewal.\n    source: https://www.gob.mx/"
          "tramites/ficha/renovacion-de-documento-migratorio/INM820\n", "not another renewal.\n")
    assert "entry 'renovacion': 'answers[6].source' is missing" in problems(knowledge_copy)


def test_a_specific_answer_needs_phrasings_in_both_languages(knowledge_copy):
    path = knowledge_copy / "procedures" / "renovacion.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      en:\n        - I've had temporary for 4 years can I renew again")
    path.write_text(text[:start] + text[text.index("    es: >-\n      No. Como residente"):], encoding="utf-8")
    assert "entry 'renovacion': 'answers[6].ask' is missing the 'en' list" in problems(knowledge_copy)


def test_a_cases_appointment_is_validated_and_needs_the_case_named(knowledge_copy):
    path = knowledge_copy / "procedures" / "regularizacion_documento_vencido.yaml"
    edit(path, "    appointment: required\n", "    appointment: sometimes\n")
    message = problems(knowledge_copy)
    assert ("knowledge/procedures/regularizacion_documento_vencido.yaml: entry 'regularizacion_documento_vencido': "
            "'answers[1].appointment' must be 'required', 'not_required' or 'unconfirmed', got 'sometimes'") in message
    edit(path, "    appointment: sometimes\n", "")
    assert "'answers[1].case' only goes with 'answers[1].appointment'" in problems(knowledge_copy)
    edit(path, "    case:\n", "    appointment: required\n    kase:\n")
    message = problems(knowledge_copy)
    assert "'answers[1].case' is missing" in message and "unknown field 'kase' in 'answers[1]'" in message


def test_referral_needs_a_source(knowledge_copy):
    edit(knowledge_copy / "referrals" / "ref_sat.yaml", "sources:\n  - https://www.sat.gob.mx/\n", "")
    assert "entry 'ref_sat': 'sources' is missing: a referral must cite" in problems(knowledge_copy)


def test_the_old_examples_folder_is_not_part_of_the_catalogue(knowledge_copy):
    """Staff-attached questions live in the database now; knowledge/examples/ is imported once at start
    (tests/test_staff_loop.py), never read as knowledge: even a file naming an unknown entry loads."""
    (knowledge_copy / "examples").mkdir()
    (knowledge_copy / "examples" / "nope.yaml").write_text("entry: nope\nexamples:\n  es: [hola]\n", encoding="utf-8")
    catalogue = load_catalogue(knowledge_copy)
    assert all(not e.attached for e in catalogue.entries.values())
