"""The durable inbox: every update is stored before its channel is told it arrived, then handled from the table.

After a crash at any moment, rows still 'pending' are handled on the next start (a reply may repeat; nothing is
skipped). Updates of one chat are handled in order; different chats concurrently. An update that cannot be
parsed or whose handling fails is marked failed with its error (never the user's text), logged once, and never
retried, so one bad update can never stop the others.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Awaitable, Callable

from bot.storage import Arrival, InboxItem, InboxRepository

log = logging.getLogger(__name__)
Handler = Callable[[InboxItem], Awaitable[None]]
IDLE_CHECK = 1.0          # seconds between looks at the table when nothing woke the loop
MAX_OUTSTANDING = 512     # updates claimed from the table but not finished (bounds memory under a flood)


def describe_failure(exc: BaseException) -> str:
    """What went wrong, without the exception's message (it may quote the user): type and where."""
    exc = exc.__cause__ or exc  # a channel's wrapper: describe what it wraps
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


class Inbox:
    def __init__(self, repo: InboxRepository, *, concurrency: int = 32):
        self.repo = repo
        self._handlers: dict[str, Handler] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._tails: dict[str, asyncio.Task] = {}
        self._running: set[asyncio.Task] = set()
        self._claimed = 0

    def handle(self, channel: str, handler: Handler) -> None:
        """Register the function that handles one stored update of a channel."""
        self._handlers[channel] = handler

    async def receive(self, arrivals: list[Arrival]) -> int:
        """Store updates (committed when this returns, so the channel may now be told); returns how many were new."""
        new = await self.repo.store(arrivals)
        if new:
            self._wake.set()
        return new

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="inbox")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming updates and let those in hand finish (the rest stay pending for the next start)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every stored update has been handled (tests and graceful stops)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if not self._running and not await self.repo.pending(limit=1):
                return
            await asyncio.sleep(0.02)

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await self._claim()
            except Exception:  # noqa: BLE001 - the loop must outlive a database hiccup
                log.exception("inbox: could not read pending updates")
                claimed = 0
            if claimed == 0 or len(self._running) >= MAX_OUTSTANDING:
                try:
                    await asyncio.wait_for(self._wake.wait(), IDLE_CHECK)
                except asyncio.TimeoutError:
                    pass

    async def _claim(self) -> int:
        room = MAX_OUTSTANDING - len(self._running)
        if room <= 0:
            return 0
        items = await self.repo.pending(after_id=self._claimed, limit=min(room, 200))
        for item in items:
            self._claimed = max(self._claimed, item.id)
            key = f"{item.channel}:{item.chat_key}" if item.chat_key is not None else f"{item.channel}#{item.id}"
            task = asyncio.create_task(self._run(item, self._tails.get(key)), name=f"inbox-{item.id}")
            self._tails[key] = task
            self._running.add(task)
            task.add_done_callback(lambda t, k=key: self._done(t, k))
        return len(items)

    def _done(self, task: asyncio.Task, key: str) -> None:
        self._running.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]
        self._wake.set()

    async def _run(self, item: InboxItem, before: asyncio.Task | None) -> None:
        if before is not None:  # the same chat's earlier update first, whatever became of it
            await asyncio.gather(before, return_exceptions=True)
        async with self._slots:
            error = None
            handler = self._handlers.get(item.channel)
            try:
                if handler is None:
                    raise LookupError(f"no handler for channel {item.channel}")
                if item.payload is None:
                    raise ValueError("stored payload is not JSON")
                await handler(item)
            except asyncio.CancelledError:
                raise  # stopping: the row stays pending and is handled after the restart
            except Exception as exc:  # noqa: BLE001 - marked failed, logged once, never retried
                error = describe_failure(exc)
                log.error("update %s/%s failed: %s", item.channel, item.update_key, error)
            try:
                await self.repo.finish(item.id, error=error)
            except Exception:  # noqa: BLE001 - it stays pending and is handled again after a restart
                log.exception("inbox: could not mark update %s/%s handled", item.channel, item.update_key)
