"""End to end, on a settable clock: a date in the user's words, reminders scheduled, the clock moved, the bot
restarted, and each reminder delivered once: on Telegram with its buttons, on WhatsApp through the approved
template once the 24-hour window has closed. `python -m bot reminders --json` reads the database meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys

import pytest_asyncio

from bot.app import App
from bot.clock import SettableClock
from tests.fake_bot_api import FakeBotApi, updates
from tests.fake_graph_api import FakeGraphApi

from .telegram_helpers import TEST_TUNING, buttons_of, reply_to, settings_for
from .whatsapp_bot import add_templates, whatsapp_settings

UTC = dt.timezone.utc
TUNING = dataclasses.replace(TEST_TUNING, reminder_every=0.05)
BEN = updates.user(1002, "Ben", "en")
OPENING_DAY = dt.datetime(2027, 2, 13, 15, 0, 30, tzinfo=UTC)     # 09:00:30 in Mexico City
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reminders_json(database) -> list[dict]:
    """What an operator sees, read by a separate process while the bot runs."""
    env = {**os.environ, "DATABASE_PATH": str(database)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    out = subprocess.run([sys.executable, "-m", "bot", "reminders", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest_asyncio.fixture
async def server():
    async with FakeBotApi() as fake:
        yield fake
        fake.assert_no_validation_errors()


async def _telegram_app(server, database, engine, clock) -> App:
    app = App(settings_for(server, database), engine, TUNING, clock)
    await app.start()
    return app


def _reminders_sent(server, chat_id: int, words: str) -> list:
    return [c for c in server.calls_to("sendMessage") if c.chat_id == chat_id and c.result
            and words in c.params["text"]]


async def test_telegram_reminders_are_delivered_once_across_restarts(server, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    clock = SettableClock(dt.datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    app = await _telegram_app(server, database, engine, clock)
    try:
        server.push_update(updates.private_text(BEN, "my card expires March 15 2027"))
        window = await reply_to(server, BEN["id"])
        assert "from February 13 to March 15, 2027" in window.params["text"]
        assert ("⏰ Remind me", "rem:renovacion:20270315") in buttons_of(window)
        server.push_update(updates.callback(BEN, window.result, "rem:renovacion:20270315"))
        done = await reply_to(server, BEN["id"], count=2)
        assert "February 13, 2027, March 8, 2027, March 14, 2027" in done.params["text"]
        rows = reminders_json(database)
        assert [(r["kind"], r["due"], r["status"]) for r in rows] == [
            ("opens", "2027-02-13T09:00:00-06:00", "scheduled"), ("closing", "2027-03-08T09:00:00-06:00", "scheduled"),
            ("last_day", "2027-03-14T09:00:00-06:00", "scheduled")]
        assert {r["channel"] for r in rows} == {"telegram"} and {r["entry"] for r in rows} == {"renovacion"}
    finally:
        await app.stop()

    clock.set(OPENING_DAY)                       # the bot was down when the window opened
    app = await _telegram_app(server, database, engine, clock)
    try:
        sent = await server.wait_for("sendMessage", lambda c: c.chat_id == BEN["id"] and c.result is not None
                                     and "opens today" in c.params["text"])
        assert "until March 15, 2027" in sent.params["text"]
        assert [a for _, a in buttons_of(sent)] == ["e:renovacion", "contact", "rems"]
    finally:
        await app.stop()

    app = await _telegram_app(server, database, engine, clock)    # and restarted again: nothing is resent
    try:
        await asyncio.sleep(0.3)
        assert len(_reminders_sent(server, BEN["id"], "opens today")) == 1
        server.push_update(updates.command(BEN, "/reminders"))
        listing = await server.wait_for("sendMessage", lambda c: c.chat_id == BEN["id"] and c.result is not None
                                        and "Your reminders" in c.params["text"])
        cancels = [a for _, a in buttons_of(listing) if a.startswith("remx:")]
        assert len(cancels) == 2 and "one week left, March 8, 2027" in listing.params["text"]
        server.push_update(updates.callback(BEN, listing.result, cancels[0]))
        edited = await server.wait_for("editMessageText", lambda c: c.result is not None
                                       and "Reminder cancelled." in c.params["text"])
        assert len([a for _, a in buttons_of(edited) if a.startswith("remx:")]) == 1
        assert [r["status"] for r in reminders_json(database)] == ["sent", "cancelled", "scheduled"]
    finally:
        await app.stop()


# ---------------------------------------------------------------------------------------------- WhatsApp
@pytest_asyncio.fixture
async def graph():
    async with FakeGraphApi() as fake:
        add_templates(fake)
        fake.add_template("inm_reminder", "es_MX", "Un recordatorio de la firma sobre tu trámite en el INM: {{1}} "
                                                   "Responde \"recordatorios\" para verlos o cancelarlos.")
        fake.add_template("inm_reminder", "en_US", "A reminder from the firm about your INM procedure: {{1}} "
                                                   "Reply \"reminders\" to see or cancel them.")
        yield fake
        fake.assert_no_validation_errors()


async def _whatsapp_app(graph, database, engine, clock) -> App:
    settings = whatsapp_settings(graph, database)
    graph.webhook_url = f"http://127.0.0.1:{settings.port}/whatsapp"
    app = App(settings, engine, TUNING, clock)
    await app.start()
    return app


async def test_whatsapp_reminders_use_the_template_outside_the_window(graph, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    clock = SettableClock(dt.datetime.fromtimestamp(graph.now(), UTC))
    ana = graph.user(wa_id="5213312345678", name="Ana")
    app = await _whatsapp_app(graph, database, engine, clock)
    try:
        await graph.send_text(ana, "mi tarjeta vence el 15/03/2027")
        offer = await graph.wait_for("interactive", lambda c: c.recipient == ana.key and c.result)
        assert "rem:renovacion:20270315" in graph.messages_to(ana)[-1].choice_ids
        assert "del 13 de febrero al 15 de marzo de 2027" in str([m.body for m in graph.messages_to(ana)])
        await graph.send_button_reply(ana, "rem:renovacion:20270315")
        await graph.wait_for("messages", lambda c: c.recipient == ana.key and c.result
                             and "Te lo recordaré" in str(c.body))
        assert offer is not None
    finally:
        await app.stop()

    graph.advance((OPENING_DAY - clock.now()).total_seconds())      # weeks later: the 24-hour window is long shut
    clock.set(OPENING_DAY)
    app = await _whatsapp_app(graph, database, engine, clock)
    try:
        sent = await graph.wait_for("messages", lambda c: c.recipient == ana.key and c.result
                                    and c.kind == "template")
        template = sent.body["template"]
        assert template["name"] == "inm_reminder" and template["language"]["code"] == "es_MX"
        parameter = template["components"][0]["parameters"][0]["text"]
        assert "hoy abre tu plazo" in parameter and "15 de marzo de 2027" in parameter and "\n" not in parameter
        await asyncio.sleep(0.3)
        assert len([m for m in graph.messages_to(ana) if m.type == "template"]) == 1
        await graph.send_text(ana, "recordatorios")                   # the words work like /reminders
        await graph.wait_for("messages", lambda c: c.recipient == ana.key and c.result
                             and "Tus recordatorios" in str(c.body))
        listing = graph.messages_to(ana)[-1]
        assert len([i for i in listing.choice_ids if i.startswith("remx:")]) == 2
    finally:
        await app.stop()
