"""Broadcasts stored by an older version as Telegram HTML are converted once to the neutral form."""

from __future__ import annotations

from bot.broadcasts.content import Body, Span
from bot.broadcasts.legacy import convert_stored_texts, from_telegram_html


def test_telegram_html_as_the_old_version_stored_it_becomes_spans():
    old = ('El INM &lt;cambió&gt; <b>las <i>tarifas</i></b> &amp; <a href="https://x.mx/?a=1&amp;b=2">más</a>\n'
           '<pre><code class="python">x = 1</code></pre> <span class="tg-spoiler">secreto</span> '
           '<a href="tg://user?id=5">Lupita</a> <tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')
    assert from_telegram_html(old) == Body.of(
        Span("El INM <cambió> "), Span("las ", ("bold",)), Span("tarifas", ("bold", "italic")), Span(" & "),
        Span("más", link="https://x.mx/?a=1&b=2"), Span("\n"), Span("x = 1", ("pre",)), Span(" "),
        Span("secreto", ("spoiler",)), Span(" Lupita 👍"))


async def test_stored_html_is_converted_once_and_neutral_texts_are_left_alone(storage):
    repo = storage.broadcasts
    old = await repo.create_draft(created_by="900", chat_id="-100", thread_id=None, step="media")
    await repo.update(old.id, text_es="<b>Aviso</b> &amp; más", text_en=None)
    new = await repo.create_draft(created_by="901", chat_id="-100", thread_id=None, step="media")
    neutral = Body.of(Span("Aviso", ("bold",)), Span(" <3")).dumps()
    await repo.update(new.id, text_es=neutral, text_en=neutral)
    assert await convert_stored_texts(repo) == 1
    converted = await repo.get(old.id)
    assert Body.loads(converted.text_es) == Body.of(Span("Aviso", ("bold",)), Span(" & más"))
    assert converted.text_en is None
    assert (await repo.get(new.id)).text_es == neutral
    assert await convert_stored_texts(repo) == 0
