"""Broadcast delivery under Telegram's real limits and round trips, with a SIGKILL half way.

Run by hand:  .venv/bin/python bench/bench_broadcast.py [--subscribers 3000] [--kill-at 0.5] [--latency 0 0.1 0.2]
The fake Bot API server (in this process) enforces Telegram's limits at real speed: 30 messages/s overall and
1/s per chat, answering 429 with retry_after beyond them, and answers every call after the given latency (Mexico
to Telegram is 100-200 ms). The bot runs as `python -m bot run` in a child process; a broadcast to every subscriber
is confirmed (as the staff's Send button does), the bot is killed with SIGKILL when the given share has been
delivered, then started again. Per latency it prints delivered, duplicates, missing, 429s, and the rate as a
fraction of the 25/s target.
Targets: all delivered, 0 missing, at most WINDOW duplicates (one per slot in flight), 0 429s, >= 0.9 of the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.broadcasts.content import Body  # noqa: E402
from bot.broadcasts.sender import RATE, WINDOW  # noqa: E402
from bot.storage import Storage  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402

STAFF_CHAT = -100777
FIRST_CHAT = 7_000_000
MARKER = "bench broadcast"


async def prepare(database: Path, subscribers: int) -> int:
    """Subscribers in the database and one broadcast to all of them, confirmed; returns its id."""
    storage = await Storage.open(database)
    try:
        with sqlite3.connect(database) as db:
            db.executemany("INSERT INTO users (channel, external_id, language) VALUES ('telegram', ?, ?)",
                           ((str(FIRST_CHAT + i), "es" if i % 2 else "en") for i in range(subscribers)))
            db.execute("INSERT INTO subscriptions (user_id) SELECT id FROM users")
        broadcasts = storage.broadcasts
        draft = await broadcasts.create_draft(created_by="900", chat_id=str(STAFF_CHAT), thread_id=None,
                                              step="preview")
        await broadcasts.update(draft.id, text_es=Body.plain(f"Aviso de prueba ({MARKER})").dumps(),
                                text_en=Body.plain(f"Test notice ({MARKER})").dumps(), audience="subscribers")
        await broadcasts.start(draft.id)
        return draft.id
    finally:
        await storage.close()


def start_bot(server: FakeBotApi, database: Path) -> asyncio.Future:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
           "DATABASE_PATH": str(database), "STAFF_CHAT_ID": str(STAFF_CHAT), "LOG_LEVEL": "WARNING",
           "PTB_TIMEDELTA": "1"}
    return asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
                                          stdout=asyncio.subprocess.DEVNULL)


class Tally:
    """Counts successful broadcast messages per chat, reading the server's call log incrementally."""

    def __init__(self, server: FakeBotApi):
        self.server = server
        self.seen = 0
        self.per_chat: Counter[int] = Counter()
        self.times: list[float] = []

    def update(self) -> int:
        calls = self.server.calls
        for call in calls[self.seen:]:
            if (call.method == "sendMessage" and call.result is not None and call.chat_id is not None
                    and call.chat_id >= FIRST_CHAT and MARKER in call.params.get("text", "")):
                self.per_chat[call.chat_id] += 1
                self.times.append(call.time)
        self.seen = len(calls)
        return sum(self.per_chat.values())


async def wait_until(tally: Tally, target: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while tally.update() < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {tally.update()} of {target} delivered")
        await asyncio.sleep(0.2)


async def run_once(n: int, kill_at: float, latency: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        broadcast_id = await prepare(database, n)
        async with FakeBotApi(enforce_limits=True, global_rate=30, per_chat_rate=1, time_scale=1.0,
                              strict=True) as server:
            server.add_chat(STAFF_CHAT, type="supergroup", title="Staff")
            if latency:
                server.delay(None, latency, times=None)
            tally = Tally(server)
            first = await start_bot(server, database)
            await wait_until(tally, int(n * kill_at), timeout=n / 10 + 60)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            killed_at = time.monotonic()
            sent_before = tally.update()
            in_flight_before = len(tally.times)
            second = await start_bot(server, database)
            try:
                await wait_until(tally, n, timeout=n / 10 + 120)
                await asyncio.sleep(3)  # anything still to come would be a duplicate: give it time to show
                tally.update()
            finally:
                second.send_signal(signal.SIGTERM)
                await asyncio.wait_for(second.wait(), 60)
            flood = server.flood_429s
    times = tally.times
    resumed = next((t for t in times[in_flight_before:] if t > killed_at), killed_at)
    sending_time = (times[in_flight_before - 1] - times[0]) + (times[-1] - resumed)
    delivered = len(tally.per_chat)
    duplicates = sum(count - 1 for count in tally.per_chat.values() if count > 1)
    rate = (len(times) - 1) / sending_time if sending_time > 0 else float("nan")
    print(f"round trip {latency * 1000:.0f} ms: broadcast #{broadcast_id} to {n:,} subscribers, SIGKILL after "
          f"{sent_before:,} deliveries (window {WINDOW})")
    print(f"  delivered:  {delivered:,}")
    print(f"  duplicates: {duplicates}")
    print(f"  missing:    {n - delivered:,}")
    print(f"  429s:       {flood}")
    print(f"  rate:       {rate:.2f} messages/s while sending = {rate / RATE:.3f} of the {RATE:.0f}/s target "
          f"(restart downtime {resumed - killed_at:.1f} s excluded)", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=3_000)
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.1, 0.2])
    args = parser.parse_args()
    for latency in args.latency:
        await run_once(args.subscribers, args.kill_at, latency)


if __name__ == "__main__":
    asyncio.run(main())
