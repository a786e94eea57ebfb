"""Telegram throughput and memory: our bot versus a minimal python-telegram-bot echo bot.

Run by hand:  .venv/bin/python bench/bench_telegram.py [--updates 3000] [--users 500] [--stored-users 100000]
Each bot runs in its own process against the project's fake Bot API server (in this process, on 127.0.0.1).
Both are fed the same updates (real questions from tests/data, from many users); the figure is updates
answered per second, from the first update queued to the last reply received. Peak memory is the bot
process's VmHWM. Our bot starts with --stored-users users already in its database.
Our bot runs twice: with the outgoing throttle off (bench/run_bot.py: its own capacity, the fair comparison with
the echo bot) and as deployed (`python -m bot run`: AIORateLimiter holds sends to Telegram's 30/s, so about 30
updates/s is the ceiling by design).
Targets: at least 150 updates/s, at least half the echo bot's rate, under 150 MB with 100,000 stored users.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers.evaluation import read_labelled  # noqa: E402
from bot.storage import Storage  # noqa: E402
from tests.fake_bot_api import FakeBotApi, updates  # noqa: E402


def questions() -> list[str]:
    rows = [r for p in sorted((ROOT / "tests/data").glob("*.tsv")) for r in read_labelled(p)]
    return [r.question for r in rows if r.question.strip()]


async def prepare_database(path: Path, stored_users: int) -> None:
    """A database that already holds `stored_users` users with state and a question each."""
    storage = await Storage.open(path)
    await storage.close()
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO users (channel, external_id, language) VALUES ('telegram', ?, ?)",
                       ((str(10_000_000 + i), "es" if i % 2 else "en") for i in range(stored_users)))
        db.execute("INSERT INTO conversation_state (user_id, last_entry_id) SELECT id, 'canje' FROM users")
        db.execute("INSERT INTO questions (user_id, text, language, kind, entry_id) "
                   "SELECT id, 'canje', language, 'procedure', 'canje' FROM users")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_case(command: list[str], env: dict, n_updates: int, users: int, texts: list[str]) -> tuple[float, float]:
    async with FakeBotApi() as server:
        full_env = {**os.environ, **env, "TELEGRAM_BOT_TOKEN": server.token,
                    "TELEGRAM_API_BASE_URL": server.base_url, "LOG_LEVEL": "WARNING", "PTB_TIMEDELTA": "1"}
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=full_env,
                                                       stdout=asyncio.subprocess.DEVNULL)
        try:
            await server.wait_for("deleteWebhook", timeout=60)  # both bots call it just before polling
            await asyncio.sleep(0.5)
            people = [updates.user(2_000_000 + i, f"User{i}", "es" if i % 2 else "en") for i in range(users)]
            start = time.monotonic()
            for i, text in zip(range(n_updates), itertools.cycle(texts)):
                server.push_update(updates.private_text(people[i % users], text[:4000]))
            await server.wait_for("sendMessage", lambda c: c.result is not None, count=n_updates,
                                  timeout=n_updates / 20 + 30)
            elapsed = time.monotonic() - start
            return n_updates / elapsed, peak_rss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--stored-users", type=int, default=100_000)
    args = parser.parse_args()
    texts = questions()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        await prepare_database(database, args.stored_users)
        shutil.copy(database, Path(tmp) / "pristine.sqlite3")
        echo_rate, echo_mb = await run_case([sys.executable, "bench/echo_bot.py"], {}, args.updates, args.users, texts)
        bot_rate, bot_mb = await run_case([sys.executable, "bench/run_bot.py"], {"DATABASE_PATH": str(database)},
                                          args.updates, args.users, texts)
        fresh = Path(tmp) / "deployed.sqlite3"  # the fake numbers updates from 1 again; the inbox would skip them
        shutil.copy(Path(tmp) / "pristine.sqlite3", fresh)
        real_rate, _ = await run_case([sys.executable, "-m", "bot", "run"], {"DATABASE_PATH": str(fresh)},
                                      min(args.updates, 600), args.users, texts)
    print(f"{args.updates} updates from {args.users} users; our bot's database held {args.stored_users:,} users")
    print(f"  echo bot (framework floor): {echo_rate:7.1f} updates/s   peak memory {echo_mb:6.1f} MB")
    print(f"  our bot, throttle off:      {bot_rate:7.1f} updates/s   peak memory {bot_mb:6.1f} MB")
    print(f"  our bot as deployed:        {real_rate:7.1f} updates/s   (sends held under Telegram's 30/s)")
    print(f"  ratio to echo: {bot_rate / echo_rate:.2f} (target >= 0.5); rate target >= 150/s; memory target < 150 MB")


if __name__ == "__main__":
    asyncio.run(main())
