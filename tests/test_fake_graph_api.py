"""Self-tests of tests/fake_graph_api: every refusal with Meta's code, the window, limits, media and webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from bot.channels.whatsapp.signature import verify_signature
from bot.channels.whatsapp.updates import Kind, parse_webhook
from tests.fake_graph_api import FakeGraphApi, WaUser
from tests.whatsapp_helpers import GraphClient, Receiver

ANA = dict(wa_id="5213312345678", name="Ana", user_id="MX.1502576394655843")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64
MB = 1024 * 1024


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeGraphApi]:
    async with FakeGraphApi() as server:
        yield server


@pytest_asyncio.fixture
async def receiver(fake: FakeGraphApi) -> AsyncIterator[Receiver]:
    rec = await Receiver().start()
    fake.webhook_url = rec.url
    yield rec
    await rec.stop()


@pytest_asyncio.fixture
async def client(fake: FakeGraphApi) -> AsyncIterator[GraphClient]:
    async with aiohttp.ClientSession() as session:
        yield GraphClient(session, fake)


@pytest_asyncio.fixture
async def ana(fake: FakeGraphApi) -> WaUser:
    user = fake.user(**ANA)
    fake.open_window(user)
    return user


def buttons(*pairs: tuple[str, str], body: str = "Pick one", **extra: object) -> dict:
    return {"type": "interactive", "interactive": {
        "type": "button", "body": {"text": body}, **extra,
        "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in pairs]}}}


def a_list(sections: list[dict], *, button: str = "Ver opciones", body: str = "Choose", **extra: object) -> dict:
    return {"type": "interactive", "interactive": {
        "type": "list", "body": {"text": body}, **extra, "action": {"button": button, "sections": sections}}}


def rows(n: int, prefix: str = "r", **row: str) -> list[dict]:
    return [{"id": f"{prefix}{i}", "title": f"Row {i}", **row} for i in range(n)]


def template(name: str, code: str, *params: str) -> dict:
    body = {"name": name, "language": {"code": code}}
    if params:
        body["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}]
    return {"type": "template", "template": body}


# auth and paths -----------------------------------------------------------------------------------------
async def test_text_inside_the_window_returns_meta_shape(fake, client, ana):
    answer = await client.text(ana, "Hola Ana")
    assert answer.status == 200
    assert answer.json["messaging_product"] == "whatsapp"
    assert answer.json["contacts"] == [{"input": ana.wa_id, "wa_id": ana.wa_id}]
    assert answer.json["messages"][0]["id"].startswith("wamid.")
    assert [m.text for m in fake.messages_to(ana)] == ["Hola Ana"]
    call = fake.calls_to("text")[0]
    assert call.ok and call.recipient == ana.key
    fake.assert_no_validation_errors()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "token"}])
async def test_bearer_token_required(fake, client, ana, headers):
    answer = await client.request("POST", client.url(f"{fake.phone_number_id}/messages"), headers=headers,
                                  json={"messaging_product": "whatsapp", "to": ana.wa_id, "text": {"body": "x"}})
    assert (answer.status, answer.code) == (401, 190)
    assert answer.json["error"]["type"] == "OAuthException" and "fbtrace_id" in answer.json["error"]
    assert fake.messages_to(ana) == []


async def test_versions_and_paths(fake, client, ana):
    old = GraphClient(client.session, fake, "v19.0")
    assert (await old.text(ana, "x")).code == 2635
    newer = GraphClient(client.session, fake, "v26.0")
    assert (await newer.text(ana, "x")).status == 200
    assert (await GraphClient(client.session, fake, "23").text(ana, "x")).code == 2500
    other = await client.request("POST", client.url("999/messages"), json={"messaging_product": "whatsapp"})
    assert (other.status, other.code) == (400, 100) and other.json["error"]["error_subcode"] == 33
    assert (await client.request("GET", f"{fake.base_url}/nothing/here/at/all")).code == 2500


@pytest.mark.parametrize("body, code", [
    ({"to": "5213312345678", "type": "text", "text": {"body": "x"}}, 100),                       # no product
    ({"messaging_product": "sms", "to": "5213312345678", "text": {"body": "x"}}, 100),
    ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, 131008),          # no to/recipient
    ({"messaging_product": "whatsapp", "to": "5213312345678", "recipient": "MX.1502576394655843",
      "type": "text", "text": {"body": "x"}}, 100),                                              # both
    ({"messaging_product": "whatsapp", "recipient": "5213312345678", "text": {"body": "x"}}, 100),
    ({"messaging_product": "whatsapp", "to": "5213312345678", "type": "text"}, 131008),
    ({"messaging_product": "whatsapp", "to": "5213312345678", "text": {"body": "x"}, "colour": 1}, 100),
    ({"messaging_product": "whatsapp", "to": "5213312345678", "text": {"body": "   "}}, 100),
    ({"messaging_product": "whatsapp", "to": "5213312345678", "text": {"body": "x", "preview_url": "no"}}, 100),
    ({"messaging_product": "whatsapp", "to": "5213312345678", "type": "poll", "poll": {}}, 100),
])
async def test_malformed_sends_are_refused(fake, client, ana, body, code):
    answer = await client.post(body)
    assert (answer.status, answer.code) == (400, code)
    assert len(fake.validation_errors) == 1
    with pytest.raises(AssertionError, match="would refuse"):
        fake.assert_no_validation_errors()


async def test_text_limit_counts_utf16_units(fake, client, ana):
    assert (await client.text(ana, "a" * 4096)).status == 200
    too_long = await client.text(ana, "a" * 4097)
    assert too_long.code == 100 and "4096" in too_long.json["error"]["message"]
    assert (await client.text(ana, "😀" * 2048)).status == 200          # 4096 UTF-16 units
    assert (await client.text(ana, "😀" * 2048 + "a")).code == 100


# the 24-hour window -----------------------------------------------------------------------------------------
async def test_window_opens_with_each_inbound_message_and_closes_after_24h(fake, client, receiver):
    luis = fake.user("5215511112222", "Luis", "MX.2000000000000001")
    closed = await client.text(luis, "hola")
    assert (closed.status, closed.code) == (400, 131047) and "24 hours" in closed.details
    await fake.send_text(luis, "buenas")
    assert (await client.text(luis, "hola")).status == 200
    fake.advance(23 * 3600)
    assert (await client.text(luis, "still open")).status == 200
    fake.advance(3600)
    assert (await client.text(luis, "closed")).code == 131047
    fake.add_template("inm_update", "es_MX", "Novedad: {{1}}")
    assert (await client.send(luis, template("inm_update", "es_MX", "Nueva tarifa"))).status == 200
    await fake.send_text(luis, "otra vez")
    assert (await client.text(luis, "reopened")).status == 200
    assert fake.calls_to("text", error_code=131047)[0].error_kind == "window"
    fake.assert_no_validation_errors()  # window refusals are not malformed requests


async def test_window_error_as_failed_status(receiver):
    async with FakeGraphApi(window_errors="status") as fake:
        fake.webhook_url = receiver.url
        async with aiohttp.ClientSession() as session:
            client = GraphClient(session, fake)
            bea = fake.user("5213300001111", "Bea", "MX.3000000000000001")
            answer = await client.text(bea, "late")
            assert answer.status == 200
            wamid = answer.json["messages"][0]["id"]
            delivery = await fake.wait_for_delivery()
    status = parse_webhook(delivery.raw).statuses[0]
    assert (status.wamid, status.status, status.errors[0].code) == (wamid, "failed", 131047)
    assert status.recipient_id == "5213300001111" and status.recipient_user_id == "MX.3000000000000001"


# interactive messages -------------------------------------------------------------------------------------
async def test_reply_buttons_within_limits(fake, client, ana):
    ok = buttons(("a" * 256, "T" * 20), ("b", "Dos"), ("c", "Tres"), body="B" * 1024,
                 header={"type": "text", "text": "H" * 60}, footer={"text": "F" * 60})
    assert (await client.send(ana, ok)).status == 200
    fake.assert_no_validation_errors()


@pytest.mark.parametrize("message, needle", [
    (buttons(), "buttons"),
    (buttons(("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")), "Buttons count"),
    (buttons(("a", "T" * 21)), "Button title"),
    (buttons(("a", "")), "Button title"),
    (buttons(("a" * 257, "T")), "Button id"),
    (buttons(("a", "Same"), ("b", "Same")), "not unique"),
    (buttons(("a", "Uno"), ("a", "Dos")), "Duplicate button id"),
    (buttons(("a", "Uno"), body="B" * 1025), "Body text"),
    (buttons(("a", "Uno"), header={"type": "text", "text": "H" * 61}), "Header text"),
    (buttons(("a", "Uno"), footer={"text": "F" * 61}), "Footer text"),
    (buttons(("a", "😀" * 11)), "Button title"),                       # 22 UTF-16 units
])
async def test_reply_button_refusals(fake, client, ana, message, needle):
    answer = await client.send(ana, message)
    assert answer.status == 400 and answer.code in (131008, 131009)
    assert needle in answer.details


async def test_list_within_limits(fake, client, ana):
    sections = [{"title": "S" * 24, "rows": rows(5, description="d" * 72)},
                {"title": "Otra", "rows": [{"id": "x" * 200, "title": "T" * 24}] + rows(4, "o")}]
    answer = await client.send(ana, a_list(sections, button="B" * 20, body="b" * 1024,
                                           header={"type": "text", "text": "h" * 60}, footer={"text": "f" * 60}))
    assert answer.status == 200, answer.json
    fake.assert_no_validation_errors()


@pytest.mark.parametrize("message, needle", [
    (a_list([{"rows": rows(11)}]), "Total row count"),
    (a_list([{"title": "A", "rows": rows(6)}, {"title": "B", "rows": rows(5, "b")}]), "Total row count"),
    (a_list([{"rows": rows(1)}], button="B" * 21), "Button label"),
    (a_list([{"rows": [{"id": "r", "title": "T" * 25}]}]), "Row title"),
    (a_list([{"rows": [{"id": "r", "title": "T", "description": "d" * 73}]}]), "Row description"),
    (a_list([{"rows": [{"id": "r" * 201, "title": "T"}]}]), "Row id"),
    (a_list([{"title": "S" * 25, "rows": rows(1)}]), "Section title"),
    (a_list([{"rows": rows(1)}, {"title": "B", "rows": [{"id": "z", "title": "Z"}]}]), "Section title"),
    (a_list([{"rows": [{"id": "r", "title": "A"}, {"id": "r", "title": "B"}]}]), "Duplicate row id"),
    (a_list([{"rows": []}]), "rows"),
    (a_list([{"title": str(i), "rows": rows(1)} for i in range(11)]), "Sections count"),
    (a_list([{"rows": rows(1)}], body="b" * 1025), "Body text"),
    (a_list([{"rows": rows(1)}], header={"type": "image", "image": {"id": "1"}}), "Header type"),
])
async def test_list_refusals(fake, client, ana, message, needle):
    answer = await client.send(ana, message)
    assert answer.status == 400 and answer.code in (131008, 131009), answer.json
    assert needle in answer.details


# templates -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("param, code", [
    ("Nueva tarifa desde enero", None),
    ("four    spaces are fine", None),
    ("two\nlines", 132018),
    ("a\ttab", 132018),
    ("five     spaces", 132018),
    ("x" * 1100, 132005),
])
async def test_template_parameters(fake, client, param, code):
    fake.add_template("inm_update", "es_MX", "Novedad del despacho: {{1}}")
    luis = fake.user("5215511112222", "Luis")
    answer = await client.send(luis, template("inm_update", "es_MX", param))
    assert answer.code == code, answer.json
    if code == 132018:
        assert "new-line/tab characters or more than 4 consecutive spaces" in answer.details


async def test_template_name_language_and_count(fake, client):
    fake.add_template("staff_reply", "en_US", "You have a reply from the firm. Write to us to read it.")
    luis = fake.user("5215511112222", "Luis")
    assert (await client.send(luis, template("staff_reply", "en_US"))).status == 200
    assert (await client.send(luis, template("staff_reply", "es_MX"))).code == 132001
    assert (await client.send(luis, template("nope", "en_US"))).code == 132001
    assert (await client.send(luis, template("staff_reply", "en_US", "extra"))).code == 132000


# media -----------------------------------------------------------------------------------------------------
async def test_upload_info_and_download_need_the_token(fake, client, ana):
    uploaded = await client.upload(PNG, "image/png", "photo.png")
    media_id = uploaded.json["id"]
    info = await client.request("GET", client.url(media_id))
    assert info.json["mime_type"] == "image/png" and info.json["file_size"] == len(PNG)
    assert info.json["id"] == media_id and len(info.json["sha256"]) == 64
    assert (await client.request("GET", info.json["url"])).json == PNG
    no_token = await client.request("GET", info.json["url"], headers={})
    assert (no_token.status, no_token.code) == (401, 190)
    fake.advance(301)
    assert (await client.request("GET", info.json["url"])).status == 404   # download URLs last 5 minutes
    assert (await client.send(ana, {"type": "image", "image": {"id": media_id, "caption": "c"}})).status == 200
    assert (await client.request("GET", client.url("123"))).json["error"]["error_subcode"] == 33
    fake.assert_no_validation_errors()


@pytest.mark.parametrize("data, mime, code", [
    (b"\xff\xd8" + b"0" * (5 * MB), "image/jpeg", 131053),
    (b"GIF89a", "image/gif", 100),
    (b"x" * 10, "audio/opus", 100),
    (b"x" * (16 * MB + 1), "audio/mpeg", 131053),
    (b"x" * (16 * MB + 1), "video/mp4", 131053),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"0" * (100 * 1024), "image/webp", 131053),
    (b"", "application/pdf", 131053),
    (b"x", "application/zip", 100),
])
async def test_upload_refusals(fake, client, data, mime, code):
    answer = await client.upload(data, mime)
    assert answer.code == code, answer.json


async def test_upload_accepts_real_types(fake, client):
    animated = b"RIFF\x00\x00\x00\x00WEBPVP8X\x00\x00\x00\x00ANIM" + b"0" * (400 * 1024)
    for data, mime in [(PDF, "application/pdf"), (b"ID3" + b"0" * 100, "audio/mpeg"), (animated, "image/webp"),
                       (b"OggS", "audio/ogg; codecs=opus"), (b"x" * (5 * MB), "image/jpeg")]:
        assert (await client.upload(data, mime)).status == 200, mime


async def test_media_messages(fake, client, ana):
    pdf_id = (await client.upload(PDF, "application/pdf", "cita.pdf")).json["id"]
    doc = await client.send(ana, {"type": "document", "document": {"id": pdf_id, "filename": "cita.pdf"}})
    assert doc.status == 200
    assert (await client.send(ana, {"type": "image", "image": {"id": pdf_id}})).code == 131053
    assert (await client.send(ana, {"type": "image", "image": {"id": "999"}})).code == 100
    assert (await client.send(ana, {"type": "image", "image": {"link": "https://bot.example/p.png"}})).status == 200
    leak = {"type": "document", "document": {"link": "https://api.telegram.org/file/bot123:ABC/doc.pdf"}}
    assert (await client.send(ana, leak)).code == 100
    assert (await client.send(ana, {"type": "audio", "audio": {"id": pdf_id, "caption": "x"}})).code == 100
    assert (await client.send(ana, {"type": "image", "image": {"id": pdf_id, "link": "https://x"}})).code == 100
    fake.advance(31 * 86400)
    assert (await client.send(ana, {"type": "document", "document": {"id": pdf_id}})).code == 100  # expired


# mark as read, BSUID addressing ------------------------------------------------------------------------------
async def test_mark_as_read(fake, client, receiver, ana):
    delivery = await fake.send_text(ana, "hola")
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": delivery.message_id}
    assert (await client.post(read)).json == {"success": True}
    assert (await client.post({**read, "typing_indicator": {"type": "text"}})).json == {"success": True}
    assert fake.read_marks == [delivery.message_id] * 2
    assert (await client.post({**read, "message_id": "wamid.unknown"})).code == 100
    assert (await client.post({**read, "status": "delivered"})).code == 100


async def test_bsuid_only_user_is_reached_with_recipient_and_dropped_with_to(fake, client, receiver):
    luz = fake.user(user_id="MX.9000000000000007", name="Luz")
    await fake.send_text(luz, "hola")
    ok = await client.send(luz, {"type": "text", "text": {"body": "Hola Luz"}})
    assert ok.status == 200 and ok.json["contacts"] == [{"input": luz.user_id, "user_id": luz.user_id}]
    fake.assert_no_validation_errors()
    dropped = await client.post({"messaging_product": "whatsapp", "to": luz.user_id, "type": "text",
                                 "text": {"body": "lost"}})
    assert dropped.status == 200 and dropped.json["messages"][0]["id"].startswith("wamid.")
    assert [m.text for m in fake.messages_to(luz)] == ["Hola Luz"]
    with pytest.raises(AssertionError, match="silently drops"):
        fake.assert_no_validation_errors()


# rate limits and faults --------------------------------------------------------------------------------------
async def test_pair_rate_and_throughput():
    async with FakeGraphApi(pair_rate=(2, 60), throughput=(3, 60)) as fake, aiohttp.ClientSession() as session:
        client = GraphClient(session, fake)
        ana, bea = fake.user(**ANA), fake.user("5213300001111", "Bea")
        fake.open_window(ana)
        fake.open_window(bea)
        assert [(await client.text(ana, str(i))).code for i in range(3)] == [None, None, 131056]
        assert (await client.text(bea, "1")).status == 200
        capped = await client.text(bea, "2")
        assert (capped.status, capped.code) == (429, 130429)
        fake.reset_limits()
        assert (await client.text(ana, "again")).status == 200


async def test_faults_statuses_and_delays(fake, client, receiver, ana):
    fake.fail("text", code=131026, details="Message Undeliverable.", times=1)
    first = await client.text(ana, "1")
    assert (first.status, first.code, first.details) == (400, 131026, "Message Undeliverable.")
    assert (await client.text(ana, "2")).status == 200
    fake.fail_server_error("messages")
    assert (await client.text(ana, "3")).status == 500
    fake.fail("interactive", code=131026, via_status=True)
    accepted = await client.send(ana, buttons(("a", "Uno")))
    failed = parse_webhook((await fake.wait_for_delivery()).raw).statuses[0]
    assert (failed.wamid, failed.status, failed.errors[0].code) == (
        accepted.json["messages"][0]["id"], "failed", 131026)
    fake.fail("media_upload", status=503, code=2, times=None)
    assert (await client.upload(PNG, "image/png")).status == 503
    fake.clear_faults()
    fake.delay("text", 0.5)
    with pytest.raises(asyncio.TimeoutError):
        await client.text(ana, "slow", timeout=aiohttp.ClientTimeout(total=0.1))
    call = await fake.wait_for("text", lambda c: c.ok, count=2)
    assert call.body["text"]["body"] == "slow"


async def test_latency_applies_to_every_call():
    async with FakeGraphApi(latency=0.2) as fake, aiohttp.ClientSession() as session:
        client = GraphClient(session, fake)
        ana = fake.user(**ANA)
        fake.open_window(ana)
        await client.text(ana, "hola")
        assert fake.pauses == [("messages", "text", 0.2)]   # recorded, not timed: the clock says nothing here


async def test_wait_for_times_out_with_recent_calls(fake, client, ana):
    await client.text(ana, "one")
    with pytest.raises(AssertionError, match="waiting for 2 call"):
        await fake.wait_for("text", count=2, timeout=0.2)


# webhooks -------------------------------------------------------------------------------------------------
async def test_every_webhook_is_signed_with_the_app_secret(fake, receiver, ana):
    await fake.send_text(ana, "hola")
    await fake.send_location(ana, name="INM Guadalajara")
    await fake.send_unsupported(ana)
    for raw, headers in receiver.requests:
        assert verify_signature(fake.app_secret, raw, headers["X-Hub-Signature-256"])
        assert not verify_signature("other", raw, headers["X-Hub-Signature-256"])
    batch = parse_webhook(receiver.requests[0][0])
    message = batch.messages[0]
    assert (message.kind, message.text, message.sender.wa_id, message.sender.user_id, message.sender.name) == (
        Kind.TEXT, "hola", "5213312345678", "MX.1502576394655843", "Ana")
    assert parse_webhook(receiver.requests[1][0]).messages[0].location.name == "INM Guadalajara"
    unsupported = parse_webhook(receiver.requests[2][0]).messages[0]
    assert unsupported.kind is Kind.UNSUPPORTED and unsupported.errors[0].code == 131051


async def test_bsuid_only_webhook_has_no_phone(fake, receiver):
    luz = fake.user(user_id="MX.9000000000000007", name="Luz")
    delivery = await fake.send_text(luz, "hola")
    value = delivery.payload["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [{"profile": {"name": "Luz"}, "user_id": "MX.9000000000000007"}]
    assert "from" not in value["messages"][0] and value["messages"][0]["from_user_id"] == luz.user_id
    sender = parse_webhook(delivery.raw).messages[0].sender
    assert (sender.wa_id, sender.user_id, sender.key) == (None, luz.user_id, luz.user_id)


async def test_choice_replies_use_what_the_user_was_offered(fake, client, receiver, ana):
    sent = await client.send(ana, buttons(("s:visa:r", "Requisitos"), ("contact", "Hablar con despacho")))
    delivery = await fake.send_button_reply(ana, "contact")
    tap = parse_webhook(delivery.raw).messages[0]
    assert (tap.kind, tap.choice_id, tap.choice_title) == (Kind.BUTTON, "contact", "Hablar con despacho")
    assert tap.context_id == sent.json["messages"][0]["id"]
    await client.send(ana, a_list([{"rows": [{"id": "e:canje", "title": "Canje", "description": "Por vínculo"}]}]))
    row = parse_webhook((await fake.send_list_reply(ana, "e:canje")).raw).messages[0]
    assert (row.kind, row.choice_id, row.choice_title, row.choice_description) == (
        Kind.LIST, "e:canje", "Canje", "Por vínculo")
    with pytest.raises(ValueError, match="never offered"):
        await fake.send_button_reply(ana, "nope")


async def test_inbound_media_can_be_fetched_until_it_expires(fake, client, receiver, ana):
    voice = await fake.send_media(ana, "audio", b"OggS voice", "audio/ogg; codecs=opus", voice=True)
    media = parse_webhook(voice.raw).messages[0].media
    assert (media.kind, media.voice, media.mime_type) == ("audio", True, "audio/ogg; codecs=opus")
    info = await client.request("GET", client.url(media.media_id))
    assert (await client.request("GET", info.json["url"])).json == b"OggS voice"
    doc = await fake.send_media(ana, "document", PDF, "application/pdf", filename="pasaporte.pdf", caption="mío")
    document = parse_webhook(doc.raw).messages[0].media
    assert (document.filename, document.caption) == ("pasaporte.pdf", "mío")
    sticker = parse_webhook((await fake.send_sticker(ana)).raw).messages[0].media
    assert sticker.kind == "sticker" and not sticker.animated
    fake.advance(7 * 86400 + 1)
    assert (await client.request("GET", client.url(media.media_id))).code == 100


async def test_system_messages_move_the_user(fake, client, receiver, ana):
    changed = await fake.send_system_changed_number(ana, "5213399998888")
    value = changed.payload["entry"][0]["changes"][0]["value"]
    assert "contacts" not in value
    system = parse_webhook(changed.raw).messages[0].system
    assert (system.type, system.new_wa_id, system.previous_user_id) == (
        "user_changed_number", "5213399998888", "MX.1502576394655843")
    assert system.new_user_id == ana.user_id != "MX.1502576394655843"
    assert ana.wa_id == "5213399998888"
    assert (await client.text(ana, "al número nuevo")).status == 200        # the window moved with the user
    renamed = await fake.send_system_changed_user_id(ana, "MX.4444444444444444")
    system = parse_webhook(renamed.raw).messages[0].system
    assert (system.type, system.new_user_id) == ("user_changed_user_id", "MX.4444444444444444")


async def test_statuses_duplicates_and_raw_posts(fake, client, receiver, ana):
    wamid = (await client.text(ana, "hola")).json["messages"][0]["id"]
    for status in ("sent", "read"):
        await fake.send_status(wamid, status)
    failed = await fake.send_status(wamid, "failed", errors=[131026])
    statuses = [parse_webhook(raw).statuses[0] for raw, _ in receiver.requests]
    assert [s.status for s in statuses] == ["sent", "read", "failed"]
    assert statuses[0].pricing_category == "service" and statuses[2].errors[0].code == 131026
    assert fake.sent_message(wamid).statuses == ["sent", "read", "failed"]
    first, second = await fake.send_twice(ana, "dos veces")
    assert first.raw == second.raw and first.signature == second.signature
    assert receiver.requests[-1][0] == receiver.requests[-2][0]
    again = await fake.redeliver(failed)
    assert again.raw == failed.raw
    unsigned = await fake.send_raw({"object": "whatsapp_business_account", "entry": []}, signature=None)
    assert "X-Hub-Signature-256" not in receiver.requests[-1][1] and unsigned.status == 200
    await fake.send_raw(b"not json", signature="sha256=00")
    assert receiver.requests[-1][0] == b"not json"
    assert json.loads(receiver.requests[0][0])["entry"][0]["changes"][0]["field"] == "messages"


async def test_webhooks_need_a_url(fake, ana):
    with pytest.raises(RuntimeError, match="webhook_url"):
        await fake.send_text(ana, "hola")


async def test_auto_statuses_reactions_and_media_delete(receiver):
    async with FakeGraphApi(auto_statuses=("sent", "delivered")) as fake, aiohttp.ClientSession() as session:
        fake.webhook_url = receiver.url
        client = GraphClient(session, fake)
        ana = fake.user(**ANA)
        fake.open_window(ana)
        wamid = (await client.text(ana, "hola")).json["messages"][0]["id"]
        await fake.wait_for_delivery(count=2)
        assert [s.status for raw, _ in receiver.requests for s in parse_webhook(raw).statuses] == [
            "sent", "delivered"]
        assert fake.sent_message(wamid).statuses == ["sent", "delivered"]
        reaction = parse_webhook((await fake.send_reaction(ana, wamid, "🙏")).raw).messages[0]
        assert (reaction.kind, reaction.reaction.message_id, reaction.reaction.emoji) == (Kind.REACTION, wamid, "🙏")
        media_id = (await client.upload(PNG, "image/png")).json["id"]
        assert (await client.request("DELETE", client.url(media_id))).json == {"success": True}
        assert (await client.request("GET", client.url(media_id))).code == 100
        fake.assert_no_validation_errors()
