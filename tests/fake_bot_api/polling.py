"""getUpdates semantics: queued updates, offset confirmation, long polling, allowed_updates."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from .errors import ApiError

# Telegram's default when allowed_updates is [] or never set.
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


def update_type(update: dict[str, Any]) -> str | None:
    """The payload key of an Update (message, callback_query, ...)."""
    return next((key for key in update if key != "update_id"), None)


class UpdateQueue:
    """Pending updates with Telegram's confirm-by-offset rule and a single active long poll."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] = []
        self.closed = False
        self._generation = 0
        self._event = asyncio.Event()

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Assign the next update_id (Telegram ids are increasing) and queue it."""
        update["update_id"] = self.next_update_id
        self.next_update_id += 1
        self.pending.append(update)
        self._wake()
        return update

    def note_external_id(self, update_id: int) -> None:
        """Keep ids increasing when tests deliver updates by webhook with their own ids."""
        self.next_update_id = max(self.next_update_id, update_id + 1)

    def confirm(self, offset: int) -> None:
        """offset > 0 forgets older updates; offset < 0 keeps only the last -offset ones."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def drop_all(self) -> None:
        """drop_pending_updates=True."""
        self.pending.clear()

    def close(self) -> None:
        """Release waiting long polls so the server can shut down quickly."""
        self.closed = True
        self._wake()

    async def get(
        self, offset: int | None, limit: int | None, timeout: int | None, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        """Answer one getUpdates call; an older call still waiting gets 409 like on Telegram."""
        self._generation += 1
        generation = self._generation
        self._wake()
        if allowed is not None:
            self.allowed_updates = list(allowed)
        if offset:
            self.confirm(offset)
        limit = min(max(limit or 100, 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout or 0, 0)
        while True:
            if generation != self._generation:
                raise ApiError(409, CONFLICT_OTHER_POLL, kind="conflict")
            self.pending = [u for u in self.pending if self._is_allowed(u)]
            ready = self.pending[:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self.closed:
                return copy.deepcopy(ready)
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = update_type(update)
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in NOT_DEFAULT_UPDATES

    def _wake(self) -> None:
        self._event.set()
        self._event = asyncio.Event()
