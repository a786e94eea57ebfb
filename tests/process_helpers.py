"""Run the real bot as a separate process (`python -m bot run`) against the in-test fake Bot API, to kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent


def bot_env(server: FakeBotApi, database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "STAFF_", "ADMIN_"))}
    env.update(TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_BASE_URL=server.base_url, DATABASE_PATH=str(database),
               PTB_TIMEDELTA="1", LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


class BotProcess:
    """`python -m bot run` in a child process; stderr goes to a file the test can read."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> "BotProcess":
        self._file = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._file, stderr=self._file)
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._file.close()

    async def terminate(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        for _ in range(200):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        else:
            self.proc.kill()
        self._file.close()
        return self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


async def until(predicate, timeout: float = 60.0, step: float = 0.05) -> None:
    """Wait (without blocking the fake server's loop) until predicate() is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)
