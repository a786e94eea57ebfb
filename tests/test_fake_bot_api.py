"""End-to-end checks of tests/fake_bot_api with the real python-telegram-bot 22.8 client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import os
import socket
from collections.abc import AsyncIterator

os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as timedelta, no deprecation warning

import aiohttp
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.fake_bot_api import FakeBotApi, HtmlParseError, parse_html, updates, utf16_len, visible_text

ANA = updates.user(1001, "Ana", "es")
FORUM = -1001234567890


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as srv:
        yield srv


@pytest_asyncio.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url) as client:
        yield client


def build_app(server: FakeBotApi, *, updater: bool = True) -> Application:
    builder = ApplicationBuilder().token(server.token).base_url(server.base_url).base_file_url(server.base_file_url)
    if not updater:
        builder = builder.updater(None)
    return builder.build()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Pick", callback_data=data)]])


# ---------------------------------------------------------------------------- html_check (pure)
def test_visible_text_and_entities() -> None:
    parsed = parse_html('<b>Hi</b> <a href="https://x.org">&lt;you&gt;</a> &#x1F600; &amp; <tg-spoiler>s</tg-spoiler>')
    assert parsed.text == "Hi <you> 😀 & s"
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert kinds == [("bold", 0, 2), ("text_link", 3, 5), ("spoiler", 14, 1)]  # 😀 counts 2 UTF-16 units
    pre = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert pre.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    quote = parse_html("<blockquote expandable>long</blockquote><span class=\"tg-spoiler\">x</span>")
    assert [e["type"] for e in quote.entities] == ["expandable_blockquote", "spoiler"]
    assert visible_text('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> <s>a</s><u>b</u>') == "👍 ab"
    assert utf16_len("😀a") == 3


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", "Can't find end tag corresponding to start tag b"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("Tom & Jerry", 'Unescaped "&"'),
        ("&nbsp;", 'Unescaped "&"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier"),
        ("<br/>", 'Unsupported start tag "br/"'),
    ],
)
def test_html_errors(html: str, fragment: str) -> None:
    with pytest.raises(HtmlParseError) as exc:
        visible_text(html)
    assert fragment in str(exc.value)


# ---------------------------------------------------------------------------- basics
@pytest.mark.asyncio
async def test_get_me_and_auth(server: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.can_join_groups) == (123456, "test_bot", True, True)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}999:wrong/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.get(f"{server.base_url}{server.token}/GETME") as resp:  # case-insensitive
            assert resp.status == 200 and (await resp.json())["result"]["id"] == 123456
        async with http.post(f"{server.base_url}{server.token}/noSuchMethod") as resp:
            assert resp.status == 404 and (await resp.json())["description"] == "Not Found"
        markup = {"inline_keyboard": [[{"text": "a", "url": "https://a.b"}]]}
        body = {"chat_id": 5, "text": "json body", "reply_markup": markup}
        async with http.post(f"{server.base_url}{server.token}/sendMessage", json=body) as resp:
            assert resp.status == 200 and (await resp.json())["result"]["text"] == "json body"
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=server.base_url):
            pass


@pytest.mark.asyncio
async def test_polling_application_replies(server: FakeBotApi) -> None:
    app = build_app(server)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1, poll_interval=0)
        try:
            pushed = server.push_update(updates.private_text(ANA, "hola"))
            call = await server.wait_for("sendMessage")
        finally:
            await app.updater.stop()
            await app.stop()
    assert call.chat_id == ANA["id"] and call.params["text"] == "echo: hola"
    assert call.result["from"]["id"] == 123456 and call.result["chat"]["type"] == "private"
    assert [m["text"] for m in server.chat_messages(ANA["id"])] == ["hola", "echo: hola"]
    assert server.pending_updates == []  # PTB confirmed it with a later offset
    assert pushed["update_id"] == 1
    assert server.calls_to("deleteWebhook") and server.calls_to("getUpdates")
    server.assert_no_validation_errors()


@pytest.mark.asyncio
async def test_get_updates_offset_and_long_poll(server: FakeBotApi, bot: Bot) -> None:
    for text in ("a", "b", "c"):
        server.push_update(updates.private_text(ANA, text))
    got = await bot.get_updates(timeout=0, limit=2)
    assert [u.message.text for u in got] == ["a", "b"]
    got = await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in got] == ["c"]
    polls = server.state.updates._generation
    waiting = asyncio.create_task(bot.get_updates(offset=got[-1].update_id + 1, timeout=60, read_timeout=70))
    while server.state.updates._generation == polls:   # until the long poll has reached the server
        await asyncio.sleep(0.01)
    server.push_update(updates.command(ANA, "/start", "ref42"))
    # the push wakes the long poll: it answers long before its 60 s timeout (20 s is only a bound on hanging)
    later = await asyncio.wait_for(waiting, 20)
    assert later[0].message.text == "/start ref42" and later[0].message.entities[0].type == "bot_command"


# ---------------------------------------------------------------------------- validation
@pytest.mark.asyncio
async def test_html_refused_and_accepted(server: FakeBotApi, bot: Bot) -> None:
    msg = await bot.send_message(1, "<b>Ticket</b> #1 &lt;open&gt;", parse_mode="HTML")
    assert msg.text == "Ticket #1 <open>" and msg.entities[0].type == "bold"
    for bad in ("<b>unclosed", "Tom & Jerry", "<div>x</div>", "<b><i>x</b></i>"):
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(1, bad, parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_photo(1, b"img", caption="<b>x", parse_mode="HTML")
    assert len(server.validation_errors) == 5
    assert server.validation_errors[0].error.startswith("Bad Request: can't parse entities: ")
    with pytest.raises(AssertionError, match="5 request"):
        server.assert_no_validation_errors()


@pytest.mark.asyncio
async def test_text_and_caption_length(bot: Bot) -> None:
    await bot.send_message(1, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")  # 4096 visible: fine
    await bot.send_message(1, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1, "a" * 4097)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1, "😀" * 2049)  # 2049 code points, 4098 UTF-16 units
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(1, "<b> </b>", parse_mode="HTML")
    await bot.send_photo(1, b"img", caption="c" * 1024)
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_photo(1, b"img", caption="c" * 1025)


@pytest.mark.asyncio
async def test_callback_data_bytes(server: FakeBotApi, bot: Bot) -> None:
    ok = await bot.send_message(1, "pick", reply_markup=keyboard("ñ" * 32))  # 64 bytes
    for data in ("a" * 65, "ñ" * 33):
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(1, "pick", reply_markup=keyboard(data))
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.edit_message_reply_markup(1, ok.message_id, reply_markup=keyboard("x" * 65))
    too_many = InlineKeyboardMarkup([[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)])
    with pytest.raises(BadRequest, match="(?i)reply markup is too long"):
        await bot.send_message(1, "many", reply_markup=too_many)
    assert len(server.validation_errors) == 4


@pytest.mark.asyncio
async def test_missing_wrong_and_unknown_params(server: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(5, "")
    with pytest.raises(BadRequest, match="(?i)chat_id is empty"):
        await bot.send_message(None, "hi")  # type: ignore[arg-type]
    for extra, name in (
        ({"message_thread_id": "abc"}, "message_thread_id"),
        ({"disable_notification": "maybe"}, "disable_notification"),
        ({"reply_markup": "[1,"}, "reply_markup"),
        ({"colour": "red"}, "unknown parameter"),
    ):
        with pytest.raises(BadRequest, match=f"(?i){name}"):
            await bot.send_message(5, "x", api_kwargs=extra)
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "Begin")])
    assert [c.method for c in server.validation_errors] == ["sendMessage"] * 6 + ["setMyCommands"]
    assert server.calls_to("sendMessage", colour="red")[0].response_status == 400
    async with FakeBotApi(strict=False) as lenient:
        async with Bot(lenient.token, base_url=lenient.base_url) as lax:
            await lax.send_message(5, "x", api_kwargs={"colour": "red"})
        assert lenient.calls_to("sendMessage")[0].params["colour"] == "red"


# ---------------------------------------------------------------------------- errors / faults
@pytest.mark.asyncio
async def test_injected_errors_map_to_ptb_exceptions(server: FakeBotApi, bot: Bot) -> None:
    server.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(1, "x")
    assert flood.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(1, "next one passes")  # times=1

    server.fail_blocked(2)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(2, "x")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(2, "typing")
    await bot.send_message(3, "other chats are fine")
    server.unblock(2)
    await bot.send_message(2, "after unblock")

    server.fail_chat_not_found(4)
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(4, "x")
    server.fail_server_error("sendMessage")
    with pytest.raises(NetworkError, match="Bad Gateway") as gateway:
        await bot.send_message(1, "x")
    assert not isinstance(gateway.value, BadRequest)

    server.delay("sendMessage", 0.6)
    with pytest.raises(TimedOut):
        await bot.send_message(1, "slow", read_timeout=0.2)
    await server.wait_for("sendMessage", lambda c: c.params["text"] == "slow")  # applied server-side anyway

    server.push_update(updates.my_chat_member_blocked(updates.user(9)))
    with pytest.raises(Forbidden):
        await bot.send_message(9, "blocked by update")
    assert server.validation_errors == []  # injected faults are not validation errors


@pytest.mark.asyncio
async def test_flood_limits() -> None:
    now = [1000.0]   # the limiter's clock, moved by hand: the windows never depend on how fast this runs
    async with FakeBotApi(enforce_limits=True, per_chat_rate=1, time_scale=0.1, clock=lambda: now[0]) as server:
        async with Bot(server.token, base_url=server.base_url) as bot:
            await bot.send_message(1, "a")
            with pytest.raises(RetryAfter) as exc:
                await bot.send_message(1, "b")
            assert exc.value.retry_after >= dtm.timedelta(seconds=1)
            await bot.send_chat_action(1, "typing")  # not a message: not limited
            now[0] += 0.15  # the 1 s window scaled to 0.1 s
            await bot.send_message(1, "c")
            assert server.flood_429s == 1
    async with FakeBotApi(enforce_limits=True, global_rate=5, clock=lambda: now[0]) as server:
        async with Bot(server.token, base_url=server.base_url) as bot:
            results = [await _try(bot.send_message(100 + i, "x")) for i in range(8)]
            assert [type(r).__name__ for r in results] == ["Message"] * 5 + ["RetryAfter"] * 3
            assert server.flood_429s == 3
            assert all(c.error_kind == "flood" for c in server.calls_to("sendMessage") if not c.ok)


async def _try(coro: object) -> object:
    try:
        return await coro  # type: ignore[misc]
    except RetryAfter as exc:
        return exc


# ---------------------------------------------------------------------------- state
@pytest.mark.asyncio
async def test_forum_topics(server: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await bot.create_forum_topic(-1009, "Ticket")
    server.add_forum_chat(FORUM)
    topic = await bot.create_forum_topic(FORUM, "Ana #1001")
    msg = await bot.send_message(FORUM, "new ticket", message_thread_id=topic.message_thread_id)
    assert msg.is_topic_message and msg.message_thread_id == topic.message_thread_id
    await bot.edit_forum_topic(FORUM, topic.message_thread_id, name="Ana [closed]")
    await bot.close_forum_topic(FORUM, topic.message_thread_id)
    with pytest.raises(BadRequest, match="(?i)TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(FORUM, topic.message_thread_id)
    await bot.reopen_forum_topic(FORUM, topic.message_thread_id)
    assert server.topics(FORUM)[0].name == "Ana [closed]"
    await bot.delete_forum_topic(FORUM, topic.message_thread_id)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.send_message(FORUM, "late", message_thread_id=topic.message_thread_id)
    assert server.chat_messages(FORUM) == []
    member = await bot.get_chat_member(FORUM, server.bot_user["id"])
    assert member.status == "administrator" and member.can_manage_topics

    # a staff member writes in a topic; the bot replies in the same thread
    app = build_app(server, updater=False)

    async def relay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("relayed")

    app.add_handler(MessageHandler(filters.IS_TOPIC_MESSAGE, relay))
    second = await bot.create_forum_topic(FORUM, "Ben #2")
    staff = updates.user(77, "Staff")
    incoming = server.observe(updates.topic_text(FORUM, second.message_thread_id, staff, "hi Ben"))
    async with app:
        await app.process_update(Update.de_json(incoming, app.bot))
    reply = server.calls_to("sendMessage", chat_id=FORUM)[-1]
    assert reply.ok and reply.result["message_thread_id"] == second.message_thread_id
    server.assert_no_validation_errors()


@pytest.mark.asyncio
async def test_edit_delete_and_chat_messages(server: FakeBotApi, bot: Bot) -> None:
    msg = await bot.send_message(1, "hello", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("hello", 1, msg.message_id, reply_markup=keyboard("a"))
    edited = await bot.edit_message_text("<b>hello</b>", 1, msg.message_id, parse_mode="HTML")
    assert edited.text == "hello" and edited.reply_markup is None and edited.edit_date is not None
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", 1, 999)
    photo = await bot.send_photo(1, b"img", caption="old")
    await bot.edit_message_caption(1, photo.message_id, caption="new")
    with pytest.raises(BadRequest, match="(?i)no text in the message"):
        await bot.edit_message_text("x", 1, photo.message_id)
    assert [m.get("text") or m.get("caption") for m in server.chat_messages(1)] == ["hello", "new"]
    await bot.delete_message(1, msg.message_id)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(1, msg.message_id)
    assert [m["message_id"] for m in server.chat_messages(1)] == [photo.message_id]
    await bot.pin_chat_message(1, photo.message_id)
    assert (await bot.get_chat(1)).pinned_message.message_id == photo.message_id


@pytest.mark.asyncio
async def test_callback_round_trip(server: FakeBotApi) -> None:
    app = build_app(server, updater=False)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text(f"chose {update.callback_query.data}")

    app.add_handler(CallbackQueryHandler(on_button))
    async with app:
        await app.bot.send_message(ANA["id"], "Choose", reply_markup=keyboard("lang:es"))
        sent = server.calls_to("sendMessage")[0].result
        press = server.observe(updates.callback(ANA, sent, "lang:es"))
        await app.process_update(Update.de_json(press, app.bot))
        with pytest.raises(BadRequest, match="(?i)query is too old"):
            await app.bot.answer_callback_query(press["callback_query"]["id"])
    assert server.calls_to("answerCallbackQuery")[0].ok
    assert server.chat_messages(ANA["id"])[0]["text"] == "chose lang:es"
    assert "reply_markup" not in server.chat_messages(ANA["id"])[0]


@pytest.mark.asyncio
async def test_files_copy_commands_members(server: FakeBotApi, bot: Bot) -> None:
    doc = await bot.send_document(1, b"%PDF-1.4", filename="invoice.pdf")
    assert server.calls_to("sendDocument")[0].params["document"].data == b"%PDF-1.4"
    file = await bot.get_file(doc.document.file_id)
    assert await file.download_as_bytearray() == bytearray(b"%PDF-1.4")
    group = await bot.send_media_group(1, [_photo(b"1"), _photo(b"2", "second")])
    assert group[0].media_group_id == group[1].media_group_id and group[1].caption == "second"

    incoming = server.push_update(updates.photo(ANA, caption="my receipt"))["message"]
    copied = await bot.copy_message(FORUM, ANA["id"], incoming["message_id"])
    assert server.last_message(FORUM)["message_id"] == copied.message_id
    assert server.last_message(FORUM)["caption"] == "my receipt"
    assert (await bot.get_file(incoming["photo"][-1]["file_id"])).file_size > 0
    with pytest.raises(BadRequest, match="(?i)message to copy not found"):
        await bot.copy_message(FORUM, ANA["id"], 4242)

    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("ayuda", "Ayuda")], scope=BotCommandScopeChat(5), language_code="es")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    es = await bot.get_my_commands(scope=BotCommandScopeChat(5), language_code="es")
    assert [c.command for c in es] == ["ayuda"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert server.commands({"type": "chat", "chat_id": 5}, "es") == [{"command": "ayuda", "description": "Ayuda"}]

    server.add_chat_member(FORUM, 77, status="administrator", user=updates.user(77, "Staff"))
    assert (await bot.get_chat_member(FORUM, 77)).status == "administrator"
    assert (await bot.get_chat_member(FORUM, 78)).status == "left"
    with pytest.raises(AssertionError, match="Recent calls"):
        await server.wait_for("sendSticker", timeout=0.05)
    server.assert_no_validation_errors()


def _photo(data: bytes, caption: str | None = None):  # noqa: ANN202 - PTB type
    from telegram import InputMediaPhoto

    return InputMediaPhoto(data, caption=caption)


# ---------------------------------------------------------------------------- webhook
@pytest.mark.asyncio
async def test_get_updates_is_refused_while_a_webhook_is_set(server: FakeBotApi) -> None:
    # The bot's own webhook route (aiohttp, stored before the 200) is tested end to end in test_telegram.py.
    app = build_app(server)
    async with app:
        await app.bot.set_webhook(url="https://example.invalid/tg", secret_token="s3cret")
        assert server.webhook["url"] == "https://example.invalid/tg" and server.webhook["secret_token"] == "s3cret"
        with pytest.raises(Conflict, match="webhook is active"):
            await app.bot.get_updates()
    server.assert_no_validation_errors()
