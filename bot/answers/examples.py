"""Staff teach the engine from the staff chat: attach a question to an entry, mark one out of scope, remove one.

The questions live in the database (bot/storage/attached_examples.py), never in knowledge/ (a read-only folder
under the shipped systemd unit and Docker image). Every change is stored, then the engine learns the new set in a
thread (the classifier trains in its child process while the bot answers with the previous weights) and switches;
if learning fails the stored change is undone and the error goes back to the staff member. Changes are applied one
at a time. bot/app.py builds this at start, where it also imports the old knowledge/examples/ folder once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

from bot.answers.attached import OUT_OF_SCOPE, Example, check, folder_files
from bot.answers.engine import Engine

log = logging.getLogger(__name__)


class Stored(Protocol):
    """What the service needs of a stored example (bot.storage.AttachedExample)."""

    id: int
    entry_id: str
    language: str
    text: str


class Repository(Protocol):
    async def all(self) -> Sequence[Stored]: ...
    async def attach(self, *, entry_id: str, language: str, text: str, staff_id: str | None,
                     staff_name: str | None) -> tuple[Stored, Stored | None]: ...
    async def remove(self, example_id: int) -> Stored | None: ...
    async def restore(self, example: Stored) -> None: ...
    async def imported(self, file: str, sha256: str) -> bool: ...
    async def import_file(self, file: str, sha256: str, examples) -> int: ...


@dataclass(frozen=True)
class Attached:
    example: Stored
    previous_entry: str | None     # the label the question had before (it moved), or None


def plain(rows: Sequence[Stored]) -> tuple[Example, ...]:
    """Stored rows as the engine's plain values."""
    return tuple(Example(r.entry_id, r.language, r.text) for r in rows)


class StaffExamples:
    def __init__(self, engine: Engine, repository: Repository, knowledge_dir: Path):
        self.engine = engine
        self.repository = repository
        self.knowledge_dir = Path(knowledge_dir)
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Import the old knowledge/examples/ folder (once per file), then learn what the database holds."""
        await self.import_folder()
        async with self._lock:
            examples = plain(await self.repository.all())
            if examples != self.engine.attached:
                await asyncio.to_thread(self.engine.use_attached, examples)
                log.info("learnt %d attached examples from the database", len(examples))

    async def import_folder(self) -> int:
        """Each knowledge/examples/<entry>.yaml not imported yet goes into the database; how many examples."""
        added = 0
        for name, sha256, examples in await asyncio.to_thread(folder_files, self.knowledge_dir):
            if await self.repository.imported(name, sha256):
                continue
            known = [e for e in examples if e.entry_id == OUT_OF_SCOPE or e.entry_id in self.engine.knowledge.entries]
            if len(known) < len(examples):
                log.warning("knowledge/%s: %d examples name an unknown entry: not imported", name,
                            len(examples) - len(known))
            count = await self.repository.import_file(name, sha256, [(e.entry_id, e.language, e.text) for e in known])
            added += count
            log.info("imported %d attached examples from knowledge/%s into the database (once; the file is no "
                     "longer read and can be deleted)", count, name)
        return added

    async def attach(self, entry_id: str, language: str, text: str, *, staff_id: str | None = None,
                     staff_name: str | None = None) -> Attached:
        """Store the question under the entry (OUT_OF_SCOPE: no entry answers it) and learn it.

        Raises ExampleRefused (invalid: unknown entry, empty or huge text, another label in the YAML), a storage
        error, or KnowledgeError (training failed); in each case the running engine and the database are as before.
        """
        check(self.engine.knowledge, entry_id, language, text)
        async with self._lock:
            example, previous = await self.repository.attach(entry_id=entry_id, language=language, text=text,
                                                             staff_id=staff_id, staff_name=staff_name)
            try:
                await self._learn()
            except Exception:  # a cancelled change (the bot stopping) stays stored: learnt at the next start
                await self._undo(self.repository.remove(example.id))
                if previous is not None:
                    await self._undo(self.repository.restore(previous))
                raise
        log.info("staff %s attached an example to %s", staff_id or "-", entry_id)
        return Attached(example, previous.entry_id if previous is not None else None)

    async def remove(self, example_id: int) -> Stored | None:
        """Forget one attached example and learn without it; None if it was already gone."""
        async with self._lock:
            removed = await self.repository.remove(example_id)
            if removed is None:
                return None
            try:
                await self._learn()
            except Exception:  # a cancelled change (the bot stopping) stays stored: learnt at the next start
                await self._undo(self.repository.restore(removed))
                raise
        return removed

    async def reload(self) -> None:
        """/reload: re-read knowledge/ and learn it with the attached examples the database holds."""
        async with self._lock:
            examples = plain(await self.repository.all())
            await asyncio.to_thread(self.engine.reload, self.knowledge_dir, examples)

    async def _learn(self) -> None:
        examples = plain(await self.repository.all())
        await asyncio.to_thread(self.engine.use_attached, examples)

    @staticmethod
    async def _undo(step) -> None:
        try:
            await step
        except Exception:  # noqa: BLE001 - the original error is the one to report
            log.exception("could not undo an attached example the engine refused")
