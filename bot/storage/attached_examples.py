"""Questions staff attached to catalogue entries (or marked out of scope) from the staff chat: 0012_attached_examples.

One row per question, keyed by its folded text, so a question has one label: attaching it again (to another entry,
or as out of scope) moves it. The engine never reads this table: bot/app.py reads the rows and hands the engine
plain values (bot/knowledge/attached.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from bot.folding import fold
from bot.storage.db import Database, clean_text


@dataclass(frozen=True)
class AttachedExample:
    id: int
    entry_id: str           # a catalogue id, or 'none' (out of scope)
    language: str
    text: str
    staff_id: str | None
    staff_name: str | None
    created_at: str


_COLUMNS = "id, entry_id, language, text, staff_id, staff_name, created_at"


def _row(row) -> AttachedExample:
    return AttachedExample(row["id"], row["entry_id"], row["language"], row["text"], row["staff_id"],
                           row["staff_name"], row["created_at"])


class AttachedExampleRepository:
    def __init__(self, db: Database):
        self.db = db

    async def all(self) -> list[AttachedExample]:
        """Every attached example, oldest first (the order the engine learns them in)."""
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM attached_examples ORDER BY id")
        return [_row(r) for r in rows]

    async def get(self, example_id: int) -> AttachedExample | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM attached_examples WHERE id = ?", (example_id,))
        return _row(row) if row else None

    async def recent(self, limit: int = 20) -> list[AttachedExample]:
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM attached_examples ORDER BY id DESC LIMIT ?", (limit,))
        return [_row(r) for r in rows]

    async def attach(self, *, entry_id: str, language: str, text: str, staff_id: str | None,
                     staff_name: str | None) -> tuple[AttachedExample, AttachedExample | None]:
        """Store the question under the entry; (the new row, the row it replaced: the same question's earlier label)."""
        text = clean_text(" ".join(text.split())) or ""
        key = fold(text)
        async with self.db.transaction() as db:
            found = await db.execute_fetchall(f"SELECT {_COLUMNS} FROM attached_examples WHERE folded = ?", (key,))
            before = found[0] if found else None
            if before is not None:
                await db.execute("DELETE FROM attached_examples WHERE id = ?", (before["id"],))
            cursor = await db.execute(
                "INSERT INTO attached_examples (entry_id, language, text, folded, staff_id, staff_name) "
                "VALUES (?, ?, ?, ?, ?, ?)", (entry_id, language, text, key, staff_id, staff_name))
            new_id = cursor.lastrowid
            row = (await db.execute_fetchall(f"SELECT {_COLUMNS} FROM attached_examples WHERE id = ?",
                                             (new_id,)))[0]
        return _row(row), (_row(before) if before is not None else None)

    async def remove(self, example_id: int) -> AttachedExample | None:
        """Delete one attached example; the row it was, or None when it is already gone."""
        async with self.db.transaction() as db:
            found = await db.execute_fetchall(f"SELECT {_COLUMNS} FROM attached_examples WHERE id = ?",
                                              (example_id,))
            if not found:
                return None
            row = found[0]
            await db.execute("DELETE FROM attached_examples WHERE id = ?", (example_id,))
        return _row(row)

    async def restore(self, example: AttachedExample) -> None:
        """Put a removed or replaced row back as it was (undoing an attach or a removal the engine refused)."""
        async with self.db.transaction() as db:
            await db.execute("DELETE FROM attached_examples WHERE folded = ?", (fold(example.text),))
            await db.execute(
                "INSERT INTO attached_examples (id, entry_id, language, text, folded, staff_id, staff_name, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (example.id, example.entry_id, example.language, example.text, fold(example.text), example.staff_id,
                 example.staff_name, example.created_at))

    async def imported(self, file: str, sha256: str) -> bool:
        return await self.db.scalar("SELECT count(*) FROM attached_example_imports WHERE file = ? AND sha256 = ?",
                                    (file, sha256)) > 0

    async def import_file(self, file: str, sha256: str, examples: Iterable[tuple[str, str, str]]) -> int:
        """Import one file's (entry id, language, text) rows once, in one transaction; how many were new."""
        added = 0
        async with self.db.transaction() as db:
            for entry_id, language, text in examples:
                text = clean_text(" ".join(text.split())) or ""
                if not fold(text):
                    continue
                cursor = await db.execute(
                    "INSERT INTO attached_examples (entry_id, language, text, folded) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (folded) DO NOTHING", (entry_id, language, text, fold(text)))
                added += cursor.rowcount
            await db.execute("INSERT OR IGNORE INTO attached_example_imports (file, sha256, examples) "
                             "VALUES (?, ?, ?)", (file, sha256, added))
        return added
