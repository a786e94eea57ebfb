"""A broadcast's neutral form (bot/broadcasts/content.py) and how each channel renders it."""

from __future__ import annotations

import pytest
from telegram import MessageEntity

from bot.broadcasts.content import Body, Entity, Span, compose
from bot.channels.telegram.broadcast_text import body_from, to_html
from bot.channels.whatsapp.broadcast_text import whatsapp_text
from tests.fake_bot_api.html_check import parse_html

BOLD, ITALIC, LINK = MessageEntity.BOLD, MessageEntity.ITALIC, MessageEntity.TEXT_LINK


def entity(kind: str, offset: int, length: int, url: str | None = None) -> MessageEntity:
    return MessageEntity(kind, offset, length, url=url)


def styles_per_unit(text: str, entities: list[dict]) -> list[set]:
    """For each UTF-16 unit of the text, the formatting over it: (type, url) pairs, however the entities are cut."""
    units = len(text.encode("utf-16-le")) // 2
    covered: list[set] = [set() for _ in range(units)]
    for e in entities:
        for unit in range(e["offset"], e["offset"] + e["length"]):
            covered[unit].add((e["type"], e.get("url")))
    return covered


ROUND_TRIPS = [
    ("Nuevas tarifas del INM", [entity(BOLD, 7, 8)]),
    ("negrita y cursiva juntas", [entity(BOLD, 0, 17), entity(ITALIC, 10, 14)]),           # overlapping ends
    ("🇲🇽 Cita: lunes 9:00", [entity(BOLD, 5, 5), entity(ITALIC, 11, 10)]),               # a flag is 4 units
    ("Consulta aquí el aviso", [entity(LINK, 9, 4, url="https://www.gob.mx/inm?a=1&b=2"),
                                 entity(BOLD, 9, 13)]),
    ("código: A<B & C>D", [entity(MessageEntity.CODE, 8, 9)]),
    ("cita\nlínea dos", [entity(MessageEntity.BLOCKQUOTE, 0, 4), entity(MessageEntity.UNDERLINE, 5, 5),
                         entity(MessageEntity.STRIKETHROUGH, 11, 3), entity(MessageEntity.SPOILER, 0, 2)]),
    ("bloque\n  con espacios", [entity(MessageEntity.PRE, 0, 21)]),
]


@pytest.mark.parametrize("text, entities", ROUND_TRIPS)
def test_entities_survive_storage_and_come_back_as_telegram_reads_them(text, entities):
    stored = body_from(text, entities).dumps()
    shown = parse_html(to_html(Body.loads(stored)))     # the fake Bot API parses HTML as Telegram's server does
    assert shown.text == text
    original = [{"type": str(e.type), "offset": e.offset, "length": e.length, "url": e.url} for e in entities]
    assert styles_per_unit(shown.text, shown.entities) == styles_per_unit(text, original)


def test_entities_that_are_not_formatting_stay_plain_text():
    entities = [entity(MessageEntity.MENTION, 0, 5), entity(MessageEntity.HASHTAG, 6, 4),
                entity(MessageEntity.URL, 11, 10)]
    body = body_from("@inm1 #inm gob.mx/inm", entities)
    assert body == Body.plain("@inm1 #inm gob.mx/inm")


def test_what_staff_wrote_is_escaped_in_telegram_html():
    body = Body.of(Span("El INM <cambió> las tarifas & más "), Span("<b>", ("bold",)),
                   Span("aquí", link='https://x.mx/?q="a"&b'))
    assert to_html(body) == ('El INM &lt;cambió&gt; las tarifas &amp; más <b>&lt;b&gt;</b>'
                             '<a href="https://x.mx/?q=&quot;a&quot;&amp;b">aquí</a>')
    assert parse_html(to_html(body)).text == body.text


def test_the_stored_form_is_stable_json_and_plain_text_is_read_as_plain_text():
    body = Body.from_entities("Hola mundo", [Entity("bold", 5, 5), Entity("link", 0, 4, "https://a.mx")])
    assert body.dumps() == ('{"v":1,"spans":[{"text":"Hola","link":"https://a.mx"},{"text":" "},'
                            '{"text":"mundo","styles":["bold"]}]}')
    assert Body.loads(body.dumps()) == body
    assert Body.loads("Aviso de prueba <3") == Body.plain("Aviso de prueba <3")
    assert Body.loads(None) == Body()


def test_inside_code_nothing_else_is_styled():
    assert Span.of("x", ("bold", "code", "quote"), "https://a.mx") == Span("x", ("quote", "code"))


def test_whatsapp_markers_hug_the_text_and_links_become_plain_urls():
    body = Body.of(Span("Aviso: "), Span("nuevas tarifas ", ("bold",)), Span("desde hoy", ("bold", "italic")),
                   Span(". Detalles "), Span("aquí", link="https://www.gob.mx/inm"), Span(" o en "),
                   Span("https://inm.mx", link="https://inm.mx"), Span(" "), Span("ya", ("underline",)),
                   Span(" "), Span("viejo", ("strike",)))
    assert whatsapp_text(body) == ("Aviso: *nuevas tarifas _desde hoy_*. Detalles aquí (https://www.gob.mx/inm) "
                                   "o en https://inm.mx ya ~viejo~")


def test_whatsapp_markers_close_at_each_line_break_and_quotes_and_code_keep_their_lines():
    bold_lines = Body.of(Span("Horario nuevo\nlunes a viernes\n", ("bold",)), Span("hasta nuevo aviso"))
    assert whatsapp_text(bold_lines) == "*Horario nuevo*\n*lunes a viernes*\nhasta nuevo aviso"
    quoted = Body.of(Span("dice el INM:\n"), Span("sin cita\nno hay trámite", ("quote",)), Span("\nfin"))
    assert whatsapp_text(quoted) == "dice el INM:\n> sin cita\n> no hay trámite\nfin"
    code = Body.of(Span("folio:\n"), Span("A-1\nB-2", ("pre",)))
    assert whatsapp_text(code) == "folio:\n```A-1\nB-2```"


async def test_the_message_ends_with_the_hint_in_italics_and_counts_as_telegram_does(engine, storage):
    draft = await storage.broadcasts.create_draft(created_by="900", chat_id="-100", thread_id=None, step="text_es")
    await storage.broadcasts.update(draft.id, text_es=Body.of(Span("🇲🇽 Aviso", ("bold",))).dumps())
    message = compose(await storage.broadcasts.get(draft.id), "en", engine.texts)   # no English text: the Spanish
    hint = engine.texts("en", "broadcast.hint")
    assert message.text == f"🇲🇽 Aviso\n\n{hint}"
    assert message.spans[-1] == Span(hint, ("italic",))
    assert message.length == len(message.text) + 2    # the flag is two characters of two UTF-16 units each
    assert to_html(message) == f"<b>🇲🇽 Aviso</b>\n\n<i>{hint}</i>"
    assert whatsapp_text(message) == f"*🇲🇽 Aviso*\n\n_{hint}_"
