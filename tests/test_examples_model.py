"""Example questions in the knowledge: validated like keywords, merged with those staff attach."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.catalogue import KnowledgeError, load_catalogue
from bot.engine import DEFAULT_KNOWLEDGE_DIR


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


def _problems(path: Path) -> str:
    with pytest.raises(KnowledgeError) as info:
        load_catalogue(path)
    return str(info.value)


def _append(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_entry_carries_examples_in_both_languages(catalogue):
    for entry in catalogue.entries.values():
        for lang in ("es", "en"):
            assert len(entry.examples[lang]) >= 8, (entry.id, lang)


def test_an_empty_or_non_text_example_names_file_entry_and_field(knowledge_copy):
    _append(knowledge_copy / "procedures" / "canje.yaml", "examples:\n  es:\n", "examples:\n  es:\n    - ''\n    - 42\n")
    message = _problems(knowledge_copy)
    assert "knowledge/procedures/canje.yaml: entry 'canje': 'examples.es' holds empty or non-text values: ['', 42]" \
        in message


def test_examples_must_be_lists_per_language(knowledge_copy):
    path = knowledge_copy / "referrals" / "ref_sat.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("examples:")] + "examples: [como saco mi rfc]\n", encoding="utf-8")
    assert ("knowledge/referrals/ref_sat.yaml: entry 'ref_sat': 'examples' must be a mapping with 'es' and 'en' lists"
            in _problems(knowledge_copy))
    path.write_text(text[:text.index("examples:")] + "examples:\n  es: [como saco mi rfc]\n  fr: [mon rfc]\n",
                    encoding="utf-8")
    message = _problems(knowledge_copy)
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
