"""Issue 16: one conversation (question, follow-up, button, /forget, a person, an unreachable user) gives the same
replies on Telegram, WhatsApp and the terminal, because every channel hands its turns to the one front door.

Telegram and WhatsApp run in one bot against their fake servers; the terminal runs the same front door on its own
database. Each reply is compared by its words (markup differs by channel: HTML, *bold*, plain text)."""

from __future__ import annotations

import asyncio
import html
import io
import re

from bot.channels.terminal import TerminalChat
from bot.conversation.turn import terminal_front_door
from bot.storage import Storage
from tests.fake_bot_api import updates

from .telegram_helpers import buttons_of, reply_to
from .whatsapp_bot import STAFF_CHAT

ANA_TG = updates.user(3001, "Ana", "es")
QUESTION = "se me vence la tarjeta de residente temporal"
FOLLOW_UP = "cuanto cuesta?"
PERSON = "quiero hablar con un asesor"
BLOCKED_NOTE = "bloque"      # the staff note about a user who blocked the bot or can no longer be reached


def words(text: str) -> list[str]:
    """The words of a reply, whatever the channel's markup (HTML tags, *bold*, _italic_, bullets)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.findall(r"[^\W_]+", text.lower())


def headline(text: str) -> list[str]:
    return words(text)[:8]


class OnTelegram:
    def __init__(self, server):
        self.server, self.count, self.last = server, 0, None

    async def _next(self, sent: int = 1) -> list[str]:
        texts = []
        for _ in range(sent):
            self.count += 1
            self.last = await reply_to(self.server, ANA_TG["id"], count=self.count)
            texts.append(self.last.params["text"])
        return texts

    async def say(self, text: str, sent: int = 1) -> list[str]:
        if text.startswith("/"):
            name, _, args = text.partition(" ")
            self.server.push_update(updates.command(ANA_TG, name, args or None))
        else:
            self.server.push_update(updates.private_text(ANA_TG, text))
        return await self._next(sent)

    def buttons(self) -> list[tuple[str, str]]:
        return buttons_of(self.last)

    async def press(self, action: str, sent: int = 1) -> list[str]:
        self.server.push_update(updates.callback(ANA_TG, self.last.result, action))
        before = len([c for c in self.server.calls_to("editMessageText") if c.result])
        await self.server.wait_for("answerCallbackQuery")
        try:  # an answer to a button may replace the message in place
            edit = await self.server.wait_for("editMessageText", lambda c: c.result is not None, count=before + 1,
                                              timeout=2)
            return [edit.params["text"]]
        except AssertionError:
            return await self._next(sent)


class OnWhatsApp:
    def __init__(self, graph, app):
        self.graph, self.app, self.user, self.seen = graph, app, graph.user(wa_id="5213300000001", name="Ana"), 0

    async def _new(self, sent: int) -> list[str]:
        """Every message of the turn: the webhook's update is marked handled only after all of them were sent."""
        await self.graph.wait_for("messages", lambda c: c.recipient == self.user.key and c.kind != "read" and c.result,
                                  count=self.seen + sent, timeout=5)
        await until(lambda: self.app.storage.inbox.counts(), lambda counts: not counts.get("pending"))
        messages = self.graph.messages_to(self.user)[self.seen:]
        self.seen = len(self.graph.messages_to(self.user))
        self.last = messages
        return [" ".join(m.text or "" for m in messages)]

    async def say(self, text: str, sent: int = 1) -> list[str]:
        await self.graph.send_text(self.user, text.lstrip("/"))
        return await self._new(sent)

    async def press(self, action: str, sent: int = 1) -> list[str]:
        interactive = [m for m in self.last if m.type == "interactive"][-1]
        if interactive.body["interactive"]["type"] == "list":
            await self.graph.send_list_reply(self.user, action)
        else:
            await self.graph.send_button_reply(self.user, action)
        return await self._new(sent)


async def until(read, done, tries: int = 500) -> None:
    for _ in range(tries):
        if done(await read()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the inbox never emptied")


class OnTerminal:
    def __init__(self, chat: TerminalChat, out: io.StringIO):
        self.chat, self.out = chat, out

    async def say(self, text: str, sent: int = 1) -> list[str]:
        self.out.seek(0)
        self.out.truncate()
        await self.chat.handle(text)
        return [self.out.getvalue()]

    async def press(self, number: int) -> list[str]:
        return await self.say(str(number))


async def test_the_same_conversation_gives_the_same_replies_on_every_channel(bot, graph, telegram, tmp_path, engine):
    tg, wa = OnTelegram(telegram), OnWhatsApp(graph, bot)
    storage = await Storage.open(tmp_path / "terminal.sqlite3")
    out = io.StringIO()
    term = OnTerminal(TerminalChat(terminal_front_door(engine, storage), out=out), out)
    try:
        await tg.say("/start")
        await wa.say("hola")      # a first message: the greeting
        await term.say("/start")

        # a question and its follow-up: the same answer, led by the same words, everywhere
        answers = [await channel.say(QUESTION) for channel in (tg, wa, term)]
        assert headline(answers[0][0]) == headline(answers[1][0]) == headline(answers[2][0])
        assert "renovación" in " ".join(words(answers[0][0]))
        follow = [await channel.say(FOLLOW_UP) for channel in (tg, wa, term)]
        assert headline(follow[0][0]) == headline(follow[1][0]) == headline(follow[2][0])

        # a button under the answer: the same section
        labels = [label for label, _ in tg.buttons()]
        action = tg.buttons()[0][1]
        pressed = [await tg.press(action), await wa.press(action), await term.press(1)]
        assert headline(pressed[0][0]) == headline(pressed[1][0]) == headline(pressed[2][0]), labels

        # /forget asks first; yes deletes: the same words everywhere
        confirm = [await channel.say("/olvidar") for channel in (tg, wa, term)]
        assert headline(confirm[0][0]) == headline(confirm[1][0]) == headline(confirm[2][0])
        done = [await tg.press("forget:yes"), await wa.press("forget:yes"), await term.press(1)]
        assert headline(done[0][0]) == headline(done[1][0]) == headline(done[2][0])
        assert await bot.storage.users.find_user(channel="telegram", external_id=str(ANA_TG["id"])) is None
        assert await bot.storage.users.find_user(channel="whatsapp", external_id=wa.user.key) is None

        # a person: Telegram and WhatsApp get the same reply (a staff desk exists); the terminal has none and
        # says how to reach the firm instead
        person = [await tg.say(PERSON), await wa.say(PERSON)]
        assert headline(person[0][0]) == headline(person[1][0])
        assert len(telegram.topics(STAFF_CHAT)) == 2
        terminal_person = " ".join(words((await term.say(PERSON))[0]))
        assert "guadalajara" in terminal_person or "whatsapp" in terminal_person or "tel" in terminal_person

        # unreachable: Telegram says so with my_chat_member, WhatsApp with a failed status 131026; the staff
        # topic is told on both
        telegram.push_update(updates.my_chat_member_blocked(ANA_TG))
        await graph.send_status(graph.messages_to(wa.user)[-1].wamid, "failed", [131026])
        notes = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and c.result is not None
                                        and BLOCKED_NOTE in c.params.get("text", "").lower(), count=2)
        assert notes is not None
        for channel, key in (("telegram", str(ANA_TG["id"])), ("whatsapp", wa.user.key)):
            user = await bot.storage.users.find_user(channel=channel, external_id=key)
            assert user is not None and not user.active
    finally:
        await storage.close()
