"""Editing a copy of knowledge/ in a test, and reading the problems the catalogue reports for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.catalogue import KnowledgeError, load_catalogue


def problems(path: Path) -> str:
    """Every problem the catalogue reports for the knowledge at `path` (loading must fail)."""
    with pytest.raises(KnowledgeError) as info:
        load_catalogue(path)
    return str(info.value)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a knowledge file (which must contain it) with `new`."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
