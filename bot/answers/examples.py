"""Staff attach a real question to an entry: it is written to knowledge/examples/<entry>.yaml and applied at once.

A file of its own per entry, so the YAML staff write by hand (with its comments) is never rewritten; the loader
merges these questions into the entry's phrases. The edit is validated by reloading: if the catalogue would not
load, the file is put back as it was and the running catalogue stays.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from bot.knowledge.catalogue import EXAMPLES_FOLDER
from bot.answers.engine import Engine


def _write(path: Path, text: str | None) -> None:
    """Atomically (temp file, then rename); None removes the file."""
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temp, path)


def add_example(engine: Engine, knowledge_dir: Path, entry_id: str, language: str, question: str) -> None:
    """Add the question to the entry's examples and reload; raises KnowledgeError and restores the file if invalid."""
    path = Path(knowledge_dir) / EXAMPLES_FOLDER / f"{entry_id}.yaml"
    before = path.read_text(encoding="utf-8") if path.exists() else None
    data = yaml.safe_load(before) if before else None
    if not isinstance(data, dict):
        data = {"entry": entry_id, "examples": {}}
    examples = data.setdefault("examples", {})
    questions = examples.setdefault(language, [])
    if question not in questions:
        questions.append(question)
    header = "# Questions staff attached to this entry from the staff chat (/unanswered); safe to edit.\n"
    _write(path, header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    try:
        engine.reload(knowledge_dir)
    except Exception:
        _write(path, before)
        raise
