"""Questions staff attached from the staff chat, as plain values the engine learns from (issue 17, issue 18).

They are stored in the database (bot/storage/attached_examples.py), never in knowledge/: bot/app.py reads them and
hands them to the engine, which merges them into its catalogue (`with_attached`): a question attached to an entry
joins that entry's examples, one marked out of scope joins knowledge/out_of_scope.yaml's lines (the classifier's
"none" class). Also here: the checks a staff attach must pass, the one-time import of the old knowledge/examples/
folder, and the YAML export (`python -m bot examples --export`) for examples staff want to make permanent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import yaml

from bot.answers.text import fold
from bot.knowledge.catalogue import EXAMPLES_FOLDER, Catalogue
from bot.languages import LANGUAGES

log = logging.getLogger(__name__)
OUT_OF_SCOPE = "none"          # the entry id of a question marked out of scope (the intent classifier's NONE)
MAX_EXAMPLE_CHARS = 500        # longer is a message, not a question to learn from


@dataclass(frozen=True)
class Example:
    """One attached question: the entry it asks for (or OUT_OF_SCOPE), its language and its text."""

    entry_id: str
    language: str
    text: str


class ExampleRefused(ValueError):
    """An attach that cannot be applied; `key` and `values` are the staff text (bot/locales) that says why."""

    def __init__(self, key: str, **values: object):
        super().__init__(key, values)
        self.key = key
        self.values = values


def check(catalogue: Catalogue, entry_id: str, language: str, text: str) -> None:
    """Raise ExampleRefused unless `text` can be attached to `entry_id` (or marked out of scope) in `catalogue`.

    `catalogue` is the knowledge as read from the YAML (without attached examples): a question the YAML already
    gives another label (an entry's `examples:`, an out_of_scope.yaml line) is refused, the YAML is edited instead.
    """
    if entry_id != OUT_OF_SCOPE and entry_id not in catalogue.entries:
        raise ExampleRefused("staff.example_unknown_entry", entry=entry_id)
    if language not in LANGUAGES:
        raise ExampleRefused("staff.example_bad_language", language=language)
    if not isinstance(text, str) or not fold(text) or not any(ch.isalpha() for ch in text):
        raise ExampleRefused("staff.example_empty")
    if len(text) > MAX_EXAMPLE_CHARS:
        raise ExampleRefused("staff.example_too_long", length=len(text), limit=MAX_EXAMPLE_CHARS)
    key = fold(text)
    for entry in catalogue.entries.values():
        if entry.id != entry_id and any(fold(q) == key for qs in entry.examples.values() for q in qs):
            raise ExampleRefused("staff.example_in_yaml", file=entry.file, entry=entry.id)
    if entry_id != OUT_OF_SCOPE and any(fold(q) == key for qs in catalogue.out_of_scope.values() for q in qs):
        raise ExampleRefused("staff.example_in_yaml", file="knowledge/out_of_scope.yaml", entry=OUT_OF_SCOPE)


def with_attached(catalogue: Catalogue, examples: Iterable[Example]) -> Catalogue:
    """The catalogue with the attached examples merged in; one for an entry the knowledge no longer has (or that
    the YAML now labels otherwise) is left out, with a warning."""
    examples = tuple(examples)
    if not examples:
        return catalogue
    yaml_labels = {fold(q): e.id for e in catalogue.entries.values() for qs in e.examples.values() for q in qs}
    yaml_labels.update({fold(q): OUT_OF_SCOPE for qs in catalogue.out_of_scope.values() for q in qs})
    per_entry: dict[str, dict[str, list[str]]] = {}
    for example in examples:
        label = yaml_labels.get(fold(example.text))
        if example.entry_id != OUT_OF_SCOPE and example.entry_id not in catalogue.entries:
            log.warning("attached example for unknown entry %r left out (python -m bot examples lists them)",
                        example.entry_id)
            continue
        if example.language not in LANGUAGES or not fold(example.text):
            continue
        if label is not None and label != example.entry_id:
            log.warning("attached example left out: the knowledge YAML labels it %r, not %r", label, example.entry_id)
            continue
        per_entry.setdefault(example.entry_id, {}).setdefault(example.language, []).append(example.text)
    entries = dict(catalogue.entries)
    for entry_id, lists in per_entry.items():
        if entry_id == OUT_OF_SCOPE:
            continue
        entry = entries[entry_id]
        attached = {lang: tuple(lists.get(lang, ())) for lang in LANGUAGES}
        merged = {lang: tuple(dict.fromkeys((*entry.examples.get(lang, ()), *attached[lang]))) for lang in LANGUAGES}
        entries[entry_id] = dataclasses.replace(entry, examples=merged, attached=attached)
    outside = per_entry.get(OUT_OF_SCOPE, {})
    out_of_scope = {lang: tuple(dict.fromkeys((*catalogue.out_of_scope.get(lang, ()), *outside.get(lang, ()))))
                    for lang in {*catalogue.out_of_scope, *outside}}
    return dataclasses.replace(catalogue, entries=entries, out_of_scope=out_of_scope)


def folder_files(knowledge_dir: Path) -> list[tuple[str, str, list[Example]]]:
    """The old knowledge/examples/<entry>.yaml files: (name, sha256, examples) each; [] when there is no folder.

    A file that cannot be read is logged and skipped (it stays where it is; nothing is deleted)."""
    folder = Path(knowledge_dir) / EXAMPLES_FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.y*ml")):
        name = f"{folder.name}/{path.name}"
        try:
            data = path.read_bytes()
            raw = yaml.safe_load(data.decode("utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.warning("knowledge/%s cannot be read (%s): not imported", name, exc)
            continue
        entry_id = raw.get("entry") if isinstance(raw, dict) else None
        lists = raw.get("examples") if isinstance(raw, dict) else None
        if not isinstance(entry_id, str) or not isinstance(lists, dict):
            log.warning("knowledge/%s is not an examples file ('entry' and 'examples'): not imported", name)
            continue
        examples = [Example(entry_id, lang, text) for lang in LANGUAGES for text in (lists.get(lang) or [])
                    if isinstance(text, str) and fold(text)]
        found.append((name, hashlib.sha256(data).hexdigest(), examples))
    return found


def export_yaml(examples: Iterable[Example], catalogue: Catalogue | None = None) -> str:
    """The attached examples as YAML to paste into the knowledge: per entry (with its file) its `examples:`, and
    the out-of-scope ones as out_of_scope.yaml lines."""
    grouped: dict[str, dict[str, list[str]]] = {}
    for example in examples:
        grouped.setdefault(example.entry_id, {}).setdefault(example.language, []).append(example.text)
    lines = ["# Questions staff attached from the staff chat (python -m bot examples --export).",
             "# Paste each entry's lists under `examples:` in its file, and `out_of_scope` into",
             "# knowledge/out_of_scope.yaml; once the YAML has them they can stay in the database (same label) or be",
             "# removed there."]
    for entry_id in sorted(grouped, key=lambda e: (e == OUT_OF_SCOPE, e)):
        lists = {lang: grouped[entry_id][lang] for lang in LANGUAGES if lang in grouped[entry_id]}
        if entry_id == OUT_OF_SCOPE:
            lines.append("# knowledge/out_of_scope.yaml")
            lines.append(yaml.safe_dump({"out_of_scope": lists}, allow_unicode=True, sort_keys=False).rstrip())
            continue
        entry = catalogue.entries.get(entry_id) if catalogue is not None else None
        lines.append(f"# {entry.file}" if entry is not None and entry.file else f"# entry {entry_id}")
        lines.append(yaml.safe_dump({entry_id: {"examples": lists}}, allow_unicode=True, sort_keys=False).rstrip())
    return "\n".join(lines) + "\n"
