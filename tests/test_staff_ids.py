"""Finding STAFF_CHAT_ID and ADMIN_USER_IDS from Telegram itself: /chatid (any group, for its administrators; a
private chat, for anyone's own id) and an INFO log line when the bot is added to a group. No DEBUG needed."""

from __future__ import annotations

import asyncio
import logging

import pytest_asyncio

from tests.fake_bot_api import FakeBotApi, updates

from .telegram_helpers import reply_to, running_bot

ANA = updates.user(1001, "Ana", "es")
OWNER = updates.user(1500, "Olga", "es")
MEMBER = updates.user(1501, "Mauro", "es")
SUPERGROUP = -1002003004005
BASIC_GROUP = -4005006


def in_group(chat_id: int, who: dict, text: str, *, forum: bool = False) -> dict:
    update = updates.update("message", updates.message(updates.group_chat(chat_id, "Firma", is_forum=forum), who,
                                                       text=text))
    update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return update


@pytest_asyncio.fixture
async def server():
    async with FakeBotApi() as fake:
        fake.add_chat_member(SUPERGROUP, OWNER["id"], status="creator", user=OWNER)
        fake.add_chat_member(SUPERGROUP, MEMBER["id"], status="member", user=MEMBER)
        fake.add_chat_member(BASIC_GROUP, OWNER["id"], status="administrator", user=OWNER)
        yield fake
        fake.assert_no_validation_errors()


@pytest_asyncio.fixture
async def bot(server, tmp_path, engine):   # no STAFF_CHAT_ID yet: that is what the operator is looking for
    async with running_bot(server, tmp_path / "bot.sqlite3", engine) as running:
        yield running


async def test_chatid_in_a_private_chat_gives_anyone_their_own_user_id(server, bot):
    server.push_update(updates.command(ANA, "/chatid"))
    reply = await reply_to(server, ANA["id"])
    assert "Tu id de usuario de Telegram: 1001" in reply.params["text"] and "ADMIN_USER_IDS" in reply.params["text"]


async def test_chatid_in_a_group_answers_its_administrators_only(server, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.staff_handlers")
    server.push_update(in_group(SUPERGROUP, MEMBER, "/chatid", forum=True))
    refused = await reply_to(server, SUPERGROUP)
    assert refused.params["text"] == "Lo siento, solo el equipo de la firma puede hacer eso."
    server.push_update(in_group(SUPERGROUP, OWNER, "/chatid@test_bot", forum=True))
    answer = await reply_to(server, SUPERGROUP, count=2)
    assert f"STAFF_CHAT_ID={SUPERGROUP}" in answer.params["text"] and "1500" in answer.params["text"]
    assert "grupo básico" not in answer.params["text"]
    assert any(str(SUPERGROUP) in r.getMessage() for r in caplog.records)


async def test_chatid_in_a_basic_group_warns_that_its_id_changes_with_topics(server, bot):
    server.push_update(in_group(BASIC_GROUP, OWNER, "/chatid"))
    answer = await reply_to(server, BASIC_GROUP)
    assert f"STAFF_CHAT_ID={BASIC_GROUP}" in answer.params["text"]
    assert "grupo básico" in answer.params["text"] and "Activa primero los temas" in answer.params["text"]


async def test_adding_the_bot_to_a_group_logs_the_groups_id_at_info(server, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.staff_handlers")
    server.push_update(updates.my_chat_member_added(updates.group_chat(SUPERGROUP, "Firma", is_forum=True), OWNER,
                                                    status="administrator"))
    for _ in range(3000):   # until the update is stored and handled (a bound on hanging, not on speed)
        if (await bot.storage.inbox.counts()).get("done"):
            break
        await asyncio.sleep(0.02)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert f"added to the supergroup 'Firma' (chat id {SUPERGROUP}, for STAFF_CHAT_ID) by user id 1500" in lines
    assert not server.calls_to("sendMessage")   # nothing is said in the group
