"""Start-up as an operator sees it: one process per database, clear one-line errors, no secret in any log."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
import pytest_asyncio

from tests.fake_bot_api import FakeBotApi, updates

from .process_helpers import ROOT, BotProcess, bot_env, until


@pytest_asyncio.fixture
async def server():
    async with FakeBotApi() as fake:
        yield fake


def run_bot(env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


async def run_bot_async(env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """The same, without blocking the loop the fake server runs on."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
                                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE)
    _, stderr = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, stderr.decode()


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "STAFF_", "LOG_"))}
    env.update(PTB_TIMEDELTA="1", **extra)
    return env


async def test_a_second_process_on_the_same_database_waits_and_takes_over(server, tmp_path):
    env = bot_env(server, tmp_path / "bot.sqlite3")
    first = BotProcess(env, tmp_path / "first.log").start()
    await until(lambda: server.calls_to("deleteWebhook"))
    second = BotProcess(env, tmp_path / "second.log").start()
    await until(lambda: "standby" in second.output(), timeout=60)
    ana = updates.user(1001, "Ana", "es")
    server.push_update(updates.private_text(ana, "canje"))
    await until(lambda: server.calls_to("sendMessage", chat_id=1001))
    assert len(server.calls_to("getMe")) == 1  # the standby never even logged in
    assert await first.terminate() == 0
    server.push_update(updates.private_text(ana, "renovación"))
    await until(lambda: len(server.calls_to("sendMessage", chat_id=1001)) == 2, timeout=60)
    assert "takes over" in second.output()
    assert await second.terminate() == 0
    assert len(server.calls_to("sendMessage", chat_id=1001)) == 2


async def test_a_token_telegram_refuses_exits_at_once_with_one_line(tmp_path):
    async with FakeBotApi() as fake:
        env = bot_env(fake, tmp_path / "bot.sqlite3", TELEGRAM_BOT_TOKEN="123:garbage")
        code, stderr = await run_bot_async(env)
    assert code == 2
    assert stderr.strip().splitlines() == ["error: TELEGRAM_BOT_TOKEN was refused by Telegram (401/404): copy the "
                                           "token again from @BotFather"]
    assert "garbage" not in stderr


@pytest.mark.parametrize("path", ["/proc/x/db.sqlite3", "FOLDER"])
def test_an_unusable_database_path_is_named(tmp_path, path):
    where = str(tmp_path) if path == "FOLDER" else path
    result = run_bot(base_env(DATABASE_PATH=where, TELEGRAM_BOT_TOKEN="1:x"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and where in result.stderr


def test_an_unknown_log_level_is_refused():
    result = run_bot(base_env(LOG_LEVEL="LOUD"))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"


async def test_no_secret_appears_in_the_log_even_at_debug(server, tmp_path):
    env = bot_env(server, tmp_path / "bot.sqlite3", LOG_LEVEL="DEBUG")
    bot = BotProcess(env, tmp_path / "debug.log").start()
    server.push_update(updates.private_text(updates.user(1001, "Ana", "es"), "canje"))
    await until(lambda: server.calls_to("sendMessage", chat_id=1001))
    assert await bot.terminate() == 0
    log = bot.output()
    assert "DEBUG" in log and len(log) > 1000
    assert server.token not in log and server.token.split(":")[1] not in log


async def test_an_unreachable_telegram_is_retried_with_one_line_per_attempt_until_stopped(tmp_path):
    from .telegram_helpers import free_port
    env = base_env(TELEGRAM_BOT_TOKEN="123456:" + "A" * 35, DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
                   TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot")
    bot = BotProcess(env, tmp_path / "unreachable.log").start()
    await until(lambda: "attempt 2" in bot.output(), timeout=60)
    assert await bot.terminate() == 0
    log = bot.output()
    assert log.count("Telegram is unreachable (attempt 1") == 1 and "Traceback" not in log
    assert "A" * 35 not in log
