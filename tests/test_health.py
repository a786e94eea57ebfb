"""Health: GET /healthz and `python -m bot health` fail, with one line saying why, when the inbox is stuck, Telegram
polling has stopped, or the last WhatsApp sends all failed; each condition is injected and time is moved on a
settable clock (nothing here sleeps to let time pass, and nothing asserts how fast anything ran)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import os
import subprocess
import sys

import aiohttp
import pytest
import pytest_asyncio

from bot.app import App
from bot.clock import SettableClock
from bot.channels.whatsapp.classify import RECIPIENT_ONLY
from bot.runtime.health import POLLING, HealthRules, HeartbeatWriter, check
from bot.runtime.instance import InstanceLock
from bot.storage import Arrival, Storage, utc_iso
from tests.fake_bot_api import FakeBotApi, updates
from tests.fake_graph_api import FakeGraphApi

from .conftest import ROOT
from .telegram_helpers import TEST_TUNING, free_port, reply_to, settings_for
from .whatsapp_bot import add_templates, whatsapp_settings

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
RULES = HealthRules(inbox_stuck=dt.timedelta(minutes=10), polling_stale=dt.timedelta(minutes=5), failed_sends=3,
                    recipient_only=RECIPIENT_ONLY)
ANA = updates.user(1001, "Ana", "es")


async def pending_update(storage: Storage, key: str, received: dt.datetime) -> None:
    await storage.inbox.store([Arrival("telegram", key, "1", "1", {"update_id": int(key)})])
    async with storage.db.transaction() as db:
        await db.execute("UPDATE inbox SET received_at = ? WHERE update_key = ?", (utc_iso(received), key))


async def health_at(storage, now, *, polling=False, whatsapp=False, rules=RULES):
    return await check(storage.health, now, rules, polling=polling, whatsapp=whatsapp)


# ---------------------------------------------------------------------------------------------- the conditions
async def test_an_idle_database_is_healthy_with_a_short_json_line(storage):
    health = await health_at(storage, T0)
    assert health.ok and json.loads(health.line()) == {"status": "ok", "inbox_pending": 0}


async def test_an_update_pending_longer_than_the_limit_is_a_stuck_inbox(storage):
    await pending_update(storage, "7", T0)
    assert (await health_at(storage, T0 + dt.timedelta(minutes=9))).ok  # being handled: not stuck yet
    stuck = await health_at(storage, T0 + dt.timedelta(minutes=11))
    assert not stuck.ok
    assert stuck.line() == "unhealthy: inbox stuck: 1 update(s) pending, the oldest for 11 min (limit 10 min)"
    item = (await storage.inbox.pending())[0]
    await storage.inbox.finish(item.id)
    assert (await health_at(storage, T0 + dt.timedelta(minutes=11))).ok


async def test_a_stale_or_stopped_polling_heartbeat_fails(storage):
    clock = SettableClock(T0)
    beat = HeartbeatWriter(storage.health, POLLING, clock.now)
    never = await health_at(storage, T0, polling=True)
    assert never.problems == ("Telegram polling has never run on this database",)
    await beat("running", None)
    clock.advance(dt.timedelta(minutes=4))
    assert (await health_at(storage, clock.now(), polling=True)).ok
    await beat("problem", "another client is polling with this bot token (409)")  # noted, not a sign of life
    clock.advance(dt.timedelta(minutes=2))
    stale = await health_at(storage, clock.now(), polling=True)
    assert stale.problems == ("Telegram polling stalled: no answer from getUpdates for 6 min (limit 5 min): "
                              "another client is polling with this bot token (409)",)
    await beat("running", None)   # an answer again: fresh, and the problem is gone
    assert (await health_at(storage, clock.now(), polling=True)).ok
    await beat("stopped", "Telegram refused TELEGRAM_BOT_TOKEN (revoked?): polling stopped")
    stopped = await health_at(storage, clock.now(), polling=True)
    assert stopped.problems == ("Telegram polling stopped 0 s ago: Telegram refused TELEGRAM_BOT_TOKEN (revoked?): "
                                "polling stopped",)
    assert (await health_at(storage, clock.now(), polling=False)).ok   # webhook mode: no poller to watch


async def test_a_running_heartbeat_is_written_at_most_every_ten_seconds(storage):
    clock = SettableClock(T0)
    beat = HeartbeatWriter(storage.health, POLLING, clock.now)
    await beat("running", None)
    clock.advance(dt.timedelta(seconds=9))
    await beat("running", None)
    assert (await storage.health.heartbeat(POLLING)).at == utc_iso(T0)
    clock.advance(dt.timedelta(seconds=1))
    await beat("running", None)
    assert (await storage.health.heartbeat(POLLING)).at == utc_iso(T0 + dt.timedelta(seconds=10))


async def test_whatsapp_fails_only_when_the_last_sends_all_failed_for_the_accounts_reason(storage):
    deliveries = storage.deliveries
    user = await storage.users.get_or_create_user(channel="whatsapp", external_id="5213312345678")
    for _ in range(2):
        await deliveries.refused(channel="whatsapp", code=131042, error="131042: Business eligibility payment issue")
    assert (await health_at(storage, T0, whatsapp=True)).ok           # two of three: not yet
    await deliveries.refused(channel="whatsapp", code=131047, error="131047: Re-engagement message")
    assert (await health_at(storage, T0, whatsapp=True)).ok           # one user's window says nothing of the account
    await deliveries.refused(channel="whatsapp", code=None, error="ConnectError")
    await deliveries.refused(channel="whatsapp", code=190, error="190: Error validating access token")
    assert (await health_at(storage, T0, whatsapp=True)).ok           # the 131047 is still among the last three
    await deliveries.refused(channel="whatsapp", code=132016, error="132016: Template is disabled")
    failing = await health_at(storage, T0, whatsapp=True)
    assert failing.problems == ("WhatsApp: the last 3 sends all failed (latest: 132016: Template is disabled)",)
    for n in range(3):   # accepted sends, then failed one by one through status webhooks
        await deliveries.accepted(channel="whatsapp", message_id=f"wamid.{n}", user_id=user.id)
    assert (await health_at(storage, T0, whatsapp=True)).ok
    for n in range(3):
        await deliveries.report(channel="whatsapp", message_id=f"wamid.{n}", status="failed",
                                error="131042: Business eligibility payment issue")
    assert not (await health_at(storage, T0, whatsapp=True)).ok
    assert (await health_at(storage, T0, whatsapp=False)).ok          # WhatsApp not configured: not checked


async def test_the_send_log_keeps_only_the_latest_rows(storage):
    for n in range(12):
        await storage.deliveries.refused(channel="whatsapp", code=1, error=str(n))
    assert await storage.health.prune_send_log(keep=5) == 7
    assert [s.error for s in await storage.health.last_sends("whatsapp", 10)] == ["11", "10", "9", "8", "7"]


# ---------------------------------------------------------------------------------------------- the running bot
@pytest_asyncio.fixture
async def telegram():
    async with FakeBotApi() as fake:
        yield fake


async def until(condition, what: str, timeout: float = 60.0) -> None:
    """Wait for something the bot does in the background (a bound on hanging, not on speed)."""
    for _ in range(int(timeout / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def test_healthz_on_the_web_server_follows_a_stuck_inbox_and_polling_that_stopped(telegram, tmp_path, engine):
    clock = SettableClock(T0)
    async with FakeGraphApi() as graph:   # WhatsApp needs the web server; Telegram polls beside it
        settings = whatsapp_settings(graph, tmp_path / "bot.sqlite3", telegram)
        app = App(settings, engine, TEST_TUNING, clock)
        await app.start()
        url = f"http://127.0.0.1:{settings.port}/healthz"
        release = asyncio.Event()

        async def hanging(item):   # an update whose handling hangs (a stuck handler, a database that does not answer)
            await release.wait()

        app.inbox.handle("stuck", hanging)
        try:
            async with aiohttp.ClientSession() as session:
                ok = await session.get(url)
                assert ok.status == 200 and json.loads(await ok.text())["status"] == "ok"
                await app.inbox.receive([Arrival("stuck", "s1", "c", "c", {"x": 1})])
                async with app.storage.db.transaction() as db:
                    await db.execute("UPDATE inbox SET received_at = ?", (utc_iso(T0),))
                clock.advance(dt.timedelta(minutes=11))
                await app.storage.health.beat(POLLING, at_iso=utc_iso(clock.now()))   # polling itself is fine
                stuck = await session.get(url)
                text = await stuck.text()
                assert stuck.status == 503 and text.count("\n") == 1
                assert text.startswith("unhealthy: inbox stuck: 1 update(s) pending, the oldest for 11 min")
                release.set()
                await app.inbox.drain()
                assert (await session.get(url)).status == 200
                telegram.revoke_token()                                   # @BotFather /revoke while the bot polls
                telegram.push_update(updates.private_text(ANA, "hola"))   # ends the long poll in flight
                await until(lambda: _stopped(app), "the poller records that it stopped")
                stopped = await session.get(url)
                assert stopped.status == 503
                assert (await stopped.text()).startswith("unhealthy: Telegram polling stopped 0 s ago: Telegram "
                                                         "refused TELEGRAM_BOT_TOKEN (revoked?)")
        finally:
            await app.stop()


async def _stopped(app) -> bool:
    beat = await app.storage.health.heartbeat(POLLING)
    return beat is not None and beat.state == "stopped"


async def test_polling_that_goes_silent_fails_after_the_limit(telegram, tmp_path, engine):
    clock = SettableClock(T0)
    app = App(settings_for(telegram, tmp_path / "bot.sqlite3"), engine, TEST_TUNING, clock)
    await app.start()
    try:
        assert (await app.health()).ok
        telegram.push_update(updates.private_text(ANA, "canje"))
        await reply_to(telegram, ANA["id"])
        clock.advance(dt.timedelta(minutes=4))
        assert (await app.health()).ok
        clock.advance(dt.timedelta(minutes=2))       # no answer from getUpdates recorded for six minutes
        assert (await app.health()).problems[0].startswith("Telegram polling stalled: no answer from getUpdates for")
    finally:
        await app.stop()


async def test_whatsapp_sends_failing_for_the_account_make_healthz_fail_and_alert_the_operators(
        tmp_path, engine, caplog):
    async with FakeGraphApi() as graph:
        add_templates(graph)
        settings = whatsapp_settings(graph, tmp_path / "bot.sqlite3", health_whatsapp_failures=3)
        graph.webhook_url = f"http://127.0.0.1:{settings.port}/whatsapp"
        app = App(settings, engine, TEST_TUNING, SettableClock(dt.datetime.now(UTC)))
        await app.start()
        try:
            url = f"http://127.0.0.1:{settings.port}/healthz"
            users = [graph.user(wa_id=f"52133123456{n:02d}", name=f"U{n}") for n in range(3)]
            await graph.send_text(users[0], "canje")
            await graph.wait_for("messages", lambda c: c.recipient == users[0].key and c.kind != "read" and c.result)
            graph.fail("messages", status=400, code=131042, details="Business eligibility payment issue", times=None)
            caplog.set_level(logging.ERROR, logger="bot.runtime.outbox")
            async with aiohttp.ClientSession() as session:
                assert (await session.get(url)).status == 200
                for user in users:
                    await graph.send_text(user, "renovación")
                await app.inbox.drain()
                failing = await session.get(url)
                assert failing.status == 503
                assert "WhatsApp: the last 3 sends all failed" in await failing.text()
            assert any("operators must act" in r.getMessage() and "payment method" in r.getMessage()
                       for r in caplog.records)
        finally:
            await app.stop()
            graph.clear_faults()


async def test_a_template_paused_later_is_logged_for_the_operators(tmp_path, engine, caplog):
    async with FakeGraphApi() as graph:
        add_templates(graph)
        settings = whatsapp_settings(graph, tmp_path / "bot.sqlite3")
        graph.webhook_url = f"http://127.0.0.1:{settings.port}/whatsapp"
        app = App(settings, engine, TEST_TUNING)
        await app.start()
        try:
            ana = graph.user(wa_id="5213312345601", name="Ana")
            await graph.send_text(ana, "canje")
            sent = await graph.wait_for("messages", lambda c: c.recipient == ana.key and c.kind != "read" and c.result)
            caplog.set_level(logging.ERROR, logger="bot.app")
            await graph.send_status(sent.result["messages"][0]["id"], "failed",
                                    errors=[{"code": 132015, "title": "Template is paused"}])
            await app.inbox.drain()
            assert any("operators must act" in r.getMessage() and "paused" in r.getMessage() for r in caplog.records)
        finally:
            await app.stop()


# ---------------------------------------------------------------------------------------------- the command
def run_health(env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "WHATSAPP_", "HEALTH_"))}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "bot", "health"], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


async def test_the_command_fails_with_one_line_without_a_database_or_a_running_bot(tmp_path):
    path = tmp_path / "bot.sqlite3"
    assert one_line(run_health({"DATABASE_PATH": str(path)})) == \
        f"unhealthy: no database at DATABASE_PATH={path} (the bot has never run with it)"
    await (await Storage.open(path)).close()
    assert one_line(run_health({"DATABASE_PATH": str(path)})) == \
        f"unhealthy: the bot is not running (no process holds {path}.lock)"


async def test_the_command_reads_what_the_bot_wrote_from_another_process(tmp_path):
    path = tmp_path / "bot.sqlite3"
    storage = await Storage.open(path)
    lock = InstanceLock(path)
    assert lock.try_acquire()                       # as the running bot holds it
    env = {"DATABASE_PATH": str(path), "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35}
    try:
        long_ago = dt.datetime(2020, 1, 1, tzinfo=UTC)
        await storage.health.beat(POLLING, at_iso=utc_iso(long_ago))
        line = one_line(run_health(env))
        assert line.startswith("unhealthy: Telegram polling stalled: no answer from getUpdates for")
        assert "A" * 35 not in line
        await pending_update(storage, "5", long_ago)
        line = one_line(run_health({**env, "HEALTH_INBOX_MINUTES": "30"}))
        assert line.startswith("unhealthy: inbox stuck: 1 update(s) pending") and "(limit 30 min)" in line
        assert "; Telegram polling stalled" in line
        await storage.inbox.finish((await storage.inbox.pending())[0].id)
        await storage.health.beat(POLLING, at_iso=utc_iso(dt.datetime.now(UTC) + dt.timedelta(minutes=1)))
        healthy = run_health(env)
        assert healthy.returncode == 0 and healthy.stderr == ""
        assert json.loads(healthy.stdout)["status"] == "ok"
        bad = run_health({**env, "HEALTH_POLLING_MINUTES": "soon"})
        assert bad.returncode == 2 and bad.stderr.strip() == \
            "error: HEALTH_POLLING_MINUTES must be a whole number, got 'soon'"
    finally:
        lock.release()
        await storage.close()


async def test_the_command_says_healthy_while_the_real_bot_runs(telegram, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    app = App(settings_for(telegram, database), engine, TEST_TUNING)
    await app.start()
    try:
        telegram.push_update(updates.private_text(ANA, "canje"))
        await reply_to(telegram, ANA["id"])
        result = await asyncio.to_thread(run_health, {"DATABASE_PATH": str(database),
                                                      "TELEGRAM_BOT_TOKEN": telegram.token})
        assert result.returncode == 0, result.stderr
        facts = json.loads(result.stdout)
        assert facts["status"] == "ok" and facts["inbox_pending"] == 0 and "telegram_polled_s_ago" in facts
    finally:
        await app.stop()


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_health_settings_are_checked(value):
    from bot.runtime.config import ConfigError, Settings
    with pytest.raises(ConfigError, match="HEALTH_WHATSAPP_FAILURES"):
        Settings.from_env({"HEALTH_WHATSAPP_FAILURES": value})


def test_dataclass_replace_keeps_the_health_settings():
    from bot.runtime.config import Settings
    settings = dataclasses.replace(Settings(), health_inbox_minutes=3)
    assert HealthRules.from_settings(settings).inbox_stuck == dt.timedelta(minutes=3)


def test_a_problem_is_always_one_line():
    from bot.runtime.health import Health
    assert Health(("WhatsApp: the last 3 sends all failed (latest: 131042: payment\nissue)", "b")).line() == \
        "unhealthy: WhatsApp: the last 3 sends all failed (latest: 131042: payment issue); b"
