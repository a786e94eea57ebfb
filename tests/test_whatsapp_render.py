"""bot/channels/whatsapp/render.py: the ladder text → buttons → list → pages, every limit, and the fake's verdict."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from bot.channels.whatsapp.limits import WHATSAPP_LIMITS, WhatsAppLimits, measure
from bot.channels.whatsapp.render import (
    format_block,
    more_row_id,
    parse_more,
    render,
    shorten,
    template_parameter,
    text_chunks,
)
from bot.answers.replies import Action, Block, Button, Reply, Style
from tests.fake_graph_api import FakeGraphApi, WaUser
from tests.whatsapp_helpers import GraphClient

L = WHATSAPP_LIMITS


def reply(*blocks: Block, buttons: tuple[Button, ...] = (), language: str = "es") -> Reply:
    return Reply(tuple(blocks), buttons, language)


def text(*lines: str) -> Block:
    return Block(Style.TEXT, lines)


def choices(n: int, label: str = "Opción {i}") -> tuple[Button, ...]:
    return tuple(Button(label.format(i=i), f"e:item{i}") for i in range(1, n + 1))


def interactive(message: dict) -> dict:
    assert message["type"] == "interactive"
    return message["interactive"]


def list_rows(message: dict) -> list[dict]:
    return [row for s in interactive(message)["action"]["sections"] for row in s["rows"]]


# formatting and text ---------------------------------------------------------------------------------------
def test_whatsapp_formatting():
    assert format_block(Block(Style.TITLE, ("Visa de residente",))) == "*Visa de residente*"
    assert format_block(Block(Style.HEADING, ("Requisitos", "Costos"))) == "*Requisitos*\n*Costos*"
    assert format_block(Block(Style.SUBTITLE, ("Official name",))) == "_Official name_"
    assert format_block(Block(Style.NOTE, ("Dato por confirmar",))) == "_Dato por confirmar_"
    assert format_block(Block(Style.BULLETS, ("Pasaporte", "  Foto   infantil "))) == "• Pasaporte\n• Foto infantil"
    assert format_block(Block(Style.TEXT, ("uno", "", "dos"))) == "uno\ndos"


def test_text_only_reply_is_one_text_message():
    messages = render(reply(Block(Style.TITLE, ("Hola",)), text("¿En qué te ayudo?")))
    assert messages == [{"type": "text", "text": {"body": "*Hola*\n\n¿En qué te ayudo?", "preview_url": False}}]


def test_long_text_splits_between_blocks_under_4096():
    blocks = [Block(Style.HEADING, (f"Parte {i}",)) if i % 2 else text("x" * 900) for i in range(12)]
    chunks = text_chunks(reply(*blocks))
    assert len(chunks) == 2 and all(measure(c) <= L.text_body for c in chunks)
    assert all(not c.startswith("\n") and not c.endswith("\n") for c in chunks)
    assert "\n\n".join(chunks).count("x" * 900) == 6


def test_single_oversized_block_is_wrapped():
    words = " ".join(["palabra"] * 1500)                       # ~12,000 characters in one line
    chunks = text_chunks(reply(text(words), Block(Style.BULLETS, ("y" * 5000,))))
    assert all(measure(c) <= L.text_body for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "").count("palabra") == 1500
    assert "".join(chunks).count("y") == 5000


# buttons ------------------------------------------------------------------------------------------------
def test_up_to_three_short_choices_make_one_button_message():
    messages = render(reply(text("¿Qué quieres ver?"), buttons=choices(3)))
    assert len(messages) == 1
    part = interactive(messages[0])
    assert part["type"] == "button" and part["body"]["text"] == "¿Qué quieres ver?"
    assert [b["reply"] for b in part["action"]["buttons"]] == [
        {"id": "e:item1", "title": "Opción 1"}, {"id": "e:item2", "title": "Opción 2"},
        {"id": "e:item3", "title": "Opción 3"}]


def test_long_answer_with_buttons_sends_text_then_the_closing_blocks_with_buttons():
    answer = reply(Block(Style.TITLE, ("Residencia temporal",)), text("a" * 1500),
                   Block(Style.HEADING, ("Costos",)), Block(Style.BULLETS, ("$5,000",)),
                   Block(Style.NOTE, ("Revisado en 2026",)), buttons=choices(2))
    first, last = render(answer)
    assert first["type"] == "text" and first["text"]["body"].endswith("a" * 1500)
    assert interactive(last)["body"]["text"] == "*Costos*\n\n• $5,000\n\n_Revisado en 2026_"


def test_a_heading_is_never_left_behind_its_blocks():
    answer = reply(text("a" * 3000), Block(Style.HEADING, ("Requisitos",)), Block(Style.BULLETS, ("b" * 1020,)),
                   buttons=choices(2))
    first, last = render(answer)
    assert not first["text"]["body"].endswith("*Requisitos*")
    assert interactive(last)["body"]["text"] == "Elige una opción:"
    assert "*Requisitos*" in first["text"]["body"]


def test_prompt_when_nothing_fits_and_language_defaults():
    answer = reply(text("a" * 2000), buttons=choices(2), language="en")
    assert interactive(render(answer)[-1])["body"]["text"] == "Choose an option:"
    assert interactive(render(answer, prompt="¿Algo más?")[-1])["body"]["text"] == "¿Algo más?"


def test_duplicate_actions_dropped_and_titles_made_unique():
    buttons = (Button("Requisitos", "a"), Button("Requisitos", "b"), Button("Otra", "a"))
    part = interactive(render(reply(text("x"), buttons=buttons))[0])
    assert [(b["reply"]["id"], b["reply"]["title"]) for b in part["action"]["buttons"]] == [
        ("a", "Requisitos"), ("b", "Requisitos 2")]
    same = tuple(Button("Trámite para residente temporal " + s, s) for s in ("a", "b", "c"))
    rows = list_rows(render(reply(text("x"), buttons=same))[0])
    assert len({r["id"] for r in rows}) == 3


def test_long_labels_go_to_a_list_with_the_full_label_in_the_description():
    buttons = (Button("Hablar con el despacho de abogados", Action.CONTACT), Button("Menú", Action.MENU))
    message = render(reply(text("¿Cómo seguimos?"), buttons=buttons), list_button="Ver opciones")[0]
    part = interactive(message)
    assert part["type"] == "list" and part["action"]["button"] == "Ver opciones"
    first, second = list_rows(message)
    assert measure(first["title"]) <= L.row_title and first["title"].endswith("…")
    assert first["description"] == "Hablar con el despacho de abogados"
    assert second == {"id": "menu", "title": "Menú"}


def test_four_to_ten_choices_make_one_list():
    for n in (4, 10):
        messages = render(reply(text("Elige"), buttons=choices(n)), list_button="Options")
        assert len(messages) == 1 and len(list_rows(messages[0])) == n
    assert interactive(render(reply(text("x"), buttons=choices(5), language="en"))[0])["action"]["button"] \
        == "Options"


def test_more_than_ten_choices_page_with_a_more_row():
    all_choices = choices(25)
    seen: list[str] = []
    page, messages = 0, render(reply(text("Trámites"), buttons=all_choices), more_key="menu:topics")
    while True:
        rows = list_rows(messages[-1])
        assert len(rows) <= L.list_rows
        more = parse_more(rows[-1]["id"])
        seen += [r["id"] for r in rows if parse_more(r["id"]) is None]
        if more is None:
            break
        assert more == (page + 1, "menu:topics") and len(rows) == 10
        page = more[0]
        messages = render(reply(text("Trámites"), buttons=all_choices), more_key="menu:topics", page=page)
        assert len(messages) == 1 and interactive(messages[0])["body"]["text"] == "Elige una opción:"
    assert seen == [b.action for b in all_choices] and page == 2
    with pytest.raises(ValueError):
        render(reply(text("x"), buttons=all_choices), page=9)


def test_numbered_overflow():
    messages = render(reply(text("Trámites"), buttons=choices(12)), overflow="numbered")
    assert [m["type"] for m in messages] == ["text"]
    assert messages[0]["text"]["body"].endswith("11. Opción 11\n12. Opción 12")


def test_parse_more():
    assert parse_more(more_row_id(3, "menu:with")) == (3, "menu:with")
    assert parse_more(more_row_id(1)) == (1, "")
    assert parse_more("menu") is None and parse_more("more:x:y") is None


def test_ids_must_fit():
    with pytest.raises(ValueError, match="button id"):
        render(reply(text("x"), buttons=(Button("A", "a" * 257),)))
    with pytest.raises(ValueError, match="row id"):
        render(reply(text("x"), buttons=choices(4) + (Button("B", "b" * 201),)))
    with pytest.raises(ValueError, match="action and a label"):
        render(reply(text("x"), buttons=(Button("  ", "a"),)))
    assert render(reply(text("x"), buttons=(Button("A", "a" * 256),)))[0]  # 256 is fine for a button


def test_limits_table_drives_the_renderer():
    tight = dataclasses.replace(WHATSAPP_LIMITS, reply_buttons_max=2, list_rows=5, interactive_body=50)
    assert interactive(render(reply(text("x"), buttons=choices(3)), limits=tight)[0])["type"] == "list"
    rows = list_rows(render(reply(text("x"), buttons=choices(7)), limits=tight)[0])
    assert len(rows) == 5 and parse_more(rows[-1]["id"]) == (1, "")
    assert render(reply(text("y" * 60), buttons=choices(1)), limits=tight)[0]["type"] == "text"
    assert isinstance(WHATSAPP_LIMITS, WhatsAppLimits)
    with pytest.raises(dataclasses.FrozenInstanceError):
        WHATSAPP_LIMITS.text_body = 1  # type: ignore[misc]


# shortening and template parameters ----------------------------------------------------------------------
def test_shorten():
    assert shorten("corto", 20) == "corto"
    cut = shorten("Residencia permanente por unidad familiar", 24)
    assert measure(cut) <= 24 and cut.endswith("…") and cut.startswith("Residencia permanente")
    assert measure(shorten("🇲🇽" * 20, 9)) <= 9 and shorten("🇲🇽" * 20, 9) == "🇲🇽🇲🇽…"
    assert "\u200d" not in shorten("👩\u200d💼" * 10, 4)[-2:]


@pytest.mark.parametrize("raw, expected", [
    ("Nueva tarifa 2027\n\nA partir de enero\tlas tarifas cambian.", "Nueva tarifa 2027. A partir de enero las tarifas cambian."),
    ("Requisitos:\n• Pasaporte\n• Foto", "Requisitos: • Pasaporte • Foto"),
    ("uno     dos", "uno dos"),
    ("  \n ", ""),
])
def test_template_parameter_folds_to_one_line(raw, expected):
    assert template_parameter(raw, 1000) == expected


def test_template_parameter_shortens_at_a_word():
    value = template_parameter("palabra " * 300, 100)
    assert measure(value) <= 100 and value.endswith("palabra…")


# against the fake Graph API ------------------------------------------------------------------------------
@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeGraphApi]:
    async with FakeGraphApi(pair_rate=None, throughput=None) as server:
        server.add_template("inm_update", "es_MX", "Novedad del despacho: {{1}}")
        server.add_template("inm_update", "en_US", "News from the firm: {{1}}")
        yield server


@pytest_asyncio.fixture
async def client(fake: FakeGraphApi) -> AsyncIterator[GraphClient]:
    async with aiohttp.ClientSession() as session:
        yield GraphClient(session, fake)


@pytest_asyncio.fixture
async def ana(fake: FakeGraphApi) -> WaUser:
    user = fake.user("5213312345678", "Ana", "MX.1502576394655843")
    fake.open_window(user)
    return user


async def send_all(client: GraphClient, user: WaUser, messages: list[dict]) -> None:
    for message in messages:
        answer = await client.send(user, message)
        assert answer.status == 200, (answer.json, message)


EMOJI = "🇲🇽🧑‍💼✅"
VARIETY = [
    reply(text("hola")),
    reply(text("x" * 4096)),
    reply(text("x" * 4097), Block(Style.BULLETS, ("é" * 5000,))),
    reply(text(EMOJI * 700)),                                                   # 4,900 UTF-16 units of emoji
    reply(text("¿Seguimos?"), buttons=(Button("🇲🇽 Español", "lang:es"), Button("🇺🇸 English", "lang:en"))),
    reply(text("x"), buttons=(Button("12345678901234567890", "a"), Button("1234567890123456789😀", "b"))),
    reply(text("b" * 1024), buttons=choices(3)),
    reply(text("b" * 1025), buttons=choices(3)),
    reply(Block(Style.TITLE, ("t" * 5000,)), buttons=choices(2)),
    reply(text("x"), buttons=choices(4, "{i} " + EMOJI * 10)),
    reply(text("x"), buttons=choices(10, "Trámite migratorio número {i} con nombre largo de verdad")),
    reply(text("x"), buttons=choices(11)),
    reply(text("x" * 3000), buttons=choices(40, "Opción muy larga, con detalles {i} " + "z" * 80)),
    reply(text("x"), buttons=(Button("Requisitos", "a"), Button("Requisitos", "b"), Button("Requisitos", "c"))),
    reply(text("x"), buttons=(Button("Mismo título muy largo número", "a"),
                              Button("Mismo título muy largo número", "b"))),
    reply(text("x"), buttons=(Button("A", "r" * 200),) * 1 + choices(4)),
    reply(Block(Style.NOTE, ("solo nota",)), buttons=(Button("x" * 300, "a"),)),
    reply(buttons=choices(2)),
]


@pytest.mark.parametrize("index", range(len(VARIETY)))
async def test_rendered_variety_is_accepted_by_the_fake(fake, client, ana, index):
    item = VARIETY[index]
    messages = render(item, more_key="k")
    await send_all(client, ana, messages)
    for page in range(1, 10):
        last = messages[-1]
        rows = list_rows(last) if last["type"] == "interactive" and last["interactive"]["type"] == "list" else []
        more = [parse_more(r["id"]) for r in rows if parse_more(r["id"])]
        if not more:
            break
        messages = render(item, more_key="k", page=more[0][0])
        await send_all(client, ana, messages)
    fake.assert_no_validation_errors()


async def test_the_whole_catalogue_renders_within_limits(fake, client, ana, engine):
    composer = engine.composer
    replies = []
    for lang in ("es", "en"):
        for entry in engine.catalogue.entries.values():
            replies += [composer.entry(entry, lang, full=False), composer.entry(entry, lang, full=True)]
        replies += [composer.menu(lang), composer.contact(lang), composer.fallback(lang)]
        replies += [composer.menu(lang, which) for which in (Action.MENU_WITH, Action.MENU_WITHOUT,
                                                             Action.MENU_TOPICS)]
        replies.append(composer.ambiguous(tuple(list(engine.catalogue.entries)[:4]), lang))
    counts = []
    for item in replies:
        messages = render(item, more_key="menu")
        counts.append(len(messages))
        await send_all(client, ana, messages)
    fake.assert_no_validation_errors()
    assert max(counts) <= 3       # billed per message: even the longest answer stays short
    assert sum(1 for m in fake.messages_to(ana) if m.type == "interactive") > 0


async def test_broadcast_text_as_a_template_parameter(fake, client):
    luis = fake.user("5215511112222", "Luis")                     # window closed: only a template reaches him
    broadcast = "Cambio de tarifas 2027\n\n• Residencia temporal:\t$5,000\n• Permanente:      $6,000\n" * 40
    for code, prefix in (("es_MX", "Novedad del despacho: "), ("en_US", "News from the firm: ")):
        value = template_parameter(broadcast, L.template_body - len(prefix))
        answer = await client.send(luis, {"type": "template", "template": {
            "name": "inm_update", "language": {"code": code},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": value}]}]}})
        assert answer.status == 200, answer.json
    fake.assert_no_validation_errors()
