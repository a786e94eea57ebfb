"""The staff loop (issues 17 and 18): staff teach the bot from /unanswered, in the database, with a read-only
knowledge folder; every refusal or failure is told to the staff member; /reload keeps what they taught."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

from collections import OrderedDict

import pytest
import pytest_asyncio

from bot.answers.attached import OUT_OF_SCOPE, Example, export_yaml
from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR, Engine
from bot.answers.examples import StaffExamples
from bot.answers import weights_cache
from bot.answers.training import TrainingError
from tests.fake_bot_api import updates

from .conftest import SESSION_DATA_DIR
from .telegram_helpers import buttons_of, reply_to, running_bot, server_with_staff_chat
from .test_staff_gate import BEN, LUPITA, STAFF_CHAT, in_topic

RENEWAL_QUESTION = "mi papelito plastificado de gringo jubilado ya no sirve"   # no entry answers it yet
METRO_QUESTION = "perdí mi tarjeta del metro"                                   # answered as a lost INM card


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def set_read_only(folder: Path, read_only: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        write = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        os.chmod(path, mode & ~write if read_only else mode | stat.S_IWUSR)


@pytest.fixture
def read_only_knowledge(tmp_path):
    """A copy of knowledge/ made read-only, as the systemd unit (ProtectSystem=strict) and Docker image leave it."""
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, folder)
    set_read_only(folder, True)
    yield folder
    set_read_only(folder, False)


@pytest_asyncio.fixture
async def server():
    async with server_with_staff_chat(STAFF_CHAT, [LUPITA], forum=True) as fake:
        yield fake


def staff_said(server, words: str, count: int = 1, timeout: float = 5):
    return server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and c.result is not None
                           and words in c.params["text"], count=count, timeout=timeout)


async def press(server, who: dict, message, label_or_data: str) -> None:
    """Press the button whose label or callback data is `label_or_data` (or ends with it) under `message`."""
    data = next(d for label, d in buttons_of(message) if label == label_or_data or d.endswith(label_or_data))
    server.push_update(updates.callback(who, message.result, data))


async def test_attach_with_a_read_only_knowledge_folder_works_and_reload_keeps_it(server, tmp_path,
                                                                                   read_only_knowledge):
    before = snapshot(read_only_knowledge)
    own = Engine.from_directory(read_only_knowledge, data_dir=SESSION_DATA_DIR)
    async with running_bot(server, tmp_path / "bot.sqlite3", own, staff_chat_id=STAFF_CHAT,
                           knowledge_dir=read_only_knowledge) as bot:
        server.push_update(updates.private_text(BEN, RENEWAL_QUESTION))
        first = await reply_to(server, BEN["id"])
        assert "s:renovacion" not in str(first.params.get("reply_markup"))  # not matched yet
        server.push_update(in_topic(None, LUPITA, "/unanswered"))
        listing = await staff_said(server, "no pudo responder")
        await press(server, LUPITA, listing, "➕ 1")
        chooser = await staff_said(server, "corresponde")
        labels = [label for label, _ in buttons_of(chooser)]
        assert "🚫 Fuera de tema" in labels and "Otros trámites y temas…" in labels
        assert len(labels) <= 7   # the classifier's likeliest entries, not the whole catalogue
        await press(server, LUPITA, chooser, "Otros trámites y temas…")
        every = await staff_said(server, "corresponde", count=2)
        await press(server, LUPITA, every, ":renovacion")   # the classifier retrains in its child process
        added = await staff_said(server, "ahora un ejemplo", timeout=120)
        assert "Quitar" in str(added.params.get("reply_markup"))
        server.push_update(updates.private_text(BEN, RENEWAL_QUESTION))
        second = await reply_to(server, BEN["id"], count=2)
        assert "s:renovacion" in str(second.params.get("reply_markup"))  # the next answer is the renewal
        assert await bot.storage.users.unanswered() == []
        stored = await bot.storage.attached_examples.all()
        assert [(e.entry_id, e.language, e.text, e.staff_id, e.staff_name) for e in stored] == [
            ("renovacion", "es", RENEWAL_QUESTION, str(LUPITA["id"]), "Lupita")]

        server.push_update(in_topic(None, LUPITA, "/reload"))
        await staff_said(server, "recargado", timeout=120)
        server.push_update(updates.private_text(BEN, RENEWAL_QUESTION))
        third = await reply_to(server, BEN["id"], count=3)
        assert "s:renovacion" in str(third.params.get("reply_markup"))  # /reload kept the attached example
    assert snapshot(read_only_knowledge) == before   # nothing written into the code's knowledge folder


async def test_not_what_i_asked_shows_the_wrong_entry_and_out_of_scope_makes_the_answer_none(server, tmp_path,
                                                                                            knowledge_copy):
    own = Engine.from_directory(knowledge_copy, data_dir=SESSION_DATA_DIR)
    async with running_bot(server, tmp_path / "bot.sqlite3", own, staff_chat_id=STAFF_CHAT,
                           knowledge_dir=knowledge_copy) as bot:
        server.push_update(updates.private_text(BEN, METRO_QUESTION))
        answer = await reply_to(server, BEN["id"])
        assert "s:reposicion" in str(answer.params.get("reply_markup"))   # the bot got it wrong
        server.push_update(updates.callback(BEN, answer.result, "nope"))
        await reply_to(server, BEN["id"], count=2)
        server.push_update(in_topic(None, LUPITA, "/unanswered"))
        listing = await staff_said(server, "no pudo responder")
        name = own.catalogue.get("reposicion").name.get("es")
        assert f"el bot respondió {name}" in listing.params["text"]
        await press(server, LUPITA, listing, "➕ 1")
        chooser = await staff_said(server, "corresponde")
        assert not any(d.endswith(":reposicion") for _, d in buttons_of(chooser))  # what it got wrong: not offered
        assert any(d.startswith("ex:") and d.count(":") == 2 and not d.endswith(":none")
                   for _, d in buttons_of(chooser))   # its likeliest other entries are
        await press(server, LUPITA, chooser, "🚫 Fuera de tema")
        await staff_said(server, "queda fuera de tema", timeout=120)
        server.push_update(updates.private_text(BEN, METRO_QUESTION))
        again = await reply_to(server, BEN["id"], count=3)
        assert "s:reposicion" not in str(again.params.get("reply_markup"))
        assert bot.engine.answer(METRO_QUESTION).kind == "none"
        assert [(e.entry_id, e.text) for e in await bot.storage.attached_examples.all()] == [
            (OUT_OF_SCOPE, METRO_QUESTION)]

        server.push_update(in_topic(None, LUPITA, "/ejemplos"))    # remove it: the bot answers as before
        listing = await staff_said(server, "Ejemplos que el equipo añadió")
        assert METRO_QUESTION in listing.params["text"]
        await press(server, LUPITA, listing, "✖ 1")
        await staff_said(server, "ya no es ejemplo de fuera de tema", timeout=120)
        assert await bot.storage.attached_examples.all() == []
        assert bot.engine.answer(METRO_QUESTION).intent == "reposicion"


async def test_an_invalid_or_failed_attach_is_refused_with_a_message_to_staff(server, tmp_path, knowledge_copy,
                                                                              monkeypatch):
    own = Engine.from_directory(knowledge_copy, data_dir=SESSION_DATA_DIR)
    async with running_bot(server, tmp_path / "bot.sqlite3", own, staff_chat_id=STAFF_CHAT,
                           knowledge_dir=knowledge_copy) as bot:
        server.push_update(updates.private_text(BEN, RENEWAL_QUESTION))
        await reply_to(server, BEN["id"])
        server.push_update(updates.private_text(BEN, "zapatos " * 80))   # a huge question
        await reply_to(server, BEN["id"], count=2)
        unanswered = await bot.storage.users.unanswered()
        small = next(q for q in unanswered if q.text == RENEWAL_QUESTION).question_id
        huge = next(q for q in unanswered if q.text.startswith("zapatos")).question_id
        server.push_update(in_topic(None, LUPITA, "/unanswered"))
        listing = await staff_said(server, "no pudo responder")

        server.push_update(updates.callback(LUPITA, listing.result, f"ex:{small}:no_such_entry"))   # forged
        refused = await staff_said(server, "No apliqué")
        assert "no hay ninguna entrada «no_such_entry»" in refused.params["text"]
        server.push_update(updates.callback(LUPITA, listing.result, f"ex:{huge}:renovacion"))
        too_long = await staff_said(server, "demasiado larga", timeout=10)
        assert "No apliqué" in too_long.params["text"]

        def broken_trainer(texts, labels, settings):
            raise TrainingError("the trainer exited with 1: MemoryError")
        monkeypatch.setattr(weights_cache, "_memory", OrderedDict())   # nothing trained before: it must train
        own.cache = weights_cache.WeightsCache(None, trainer=broken_trainer)
        server.push_update(updates.callback(LUPITA, listing.result, f"ex:{small}:renovacion"))
        failed = await staff_said(server, "el entrenamiento falló", timeout=10)
        assert "MemoryError" in failed.params["text"] and "sigue como estaba" in failed.params["text"]
        assert await bot.storage.attached_examples.all() == []        # the failed change was undone
        assert own.attached == () and own.answer(RENEWAL_QUESTION).intent != "renovacion"
        assert len(await bot.storage.users.unanswered()) == 2         # still there for staff to try again


async def test_only_staff_can_attach_mark_or_remove(server, tmp_path, engine):
    async with running_bot(server, tmp_path / "bot.sqlite3", engine, staff_chat_id=STAFF_CHAT) as bot:
        server.push_update(updates.private_text(BEN, RENEWAL_QUESTION))
        answer = await reply_to(server, BEN["id"])
        question = (await bot.storage.users.unanswered())[0].question_id
        for data in (f"ex:{question}", f"ex:{question}:renovacion", f"ex:{question}:none", f"exa:{question}",
                     "exr:1"):
            server.push_update(updates.callback(BEN, answer.result, data))
        await server.wait_for("answerCallbackQuery", lambda c: "only the firm's staff" in c.params.get("text", ""),
                              count=5)
        server.push_update(in_topic(None, BEN, "/examples"))
        await staff_said(server, "only the firm's staff")
        assert await bot.storage.attached_examples.all() == []
        assert engine.attached == ()


async def test_the_old_examples_folder_is_imported_once_and_exported_as_yaml(tmp_path, knowledge_copy, storage):
    folder = knowledge_copy / "examples"
    folder.mkdir()
    (folder / "renovacion.yaml").write_text(f"entry: renovacion\nexamples:\n  es:\n    - {RENEWAL_QUESTION}\n",
                                            encoding="utf-8")
    (folder / "nope.yaml").write_text("entry: nope\nexamples:\n  es: [hola mundo]\n", encoding="utf-8")
    own = Engine.from_directory(knowledge_copy, data_dir=SESSION_DATA_DIR)
    service = StaffExamples(own, storage.attached_examples, knowledge_copy)
    await service.start()
    assert [(e.entry_id, e.text) for e in await storage.attached_examples.all()] == [("renovacion", RENEWAL_QUESTION)]
    assert own.answer(RENEWAL_QUESTION).intent == "renovacion"
    removed = await service.remove((await storage.attached_examples.all())[0].id)
    assert removed is not None and own.attached == ()
    await StaffExamples(own, storage.attached_examples, knowledge_copy).start()   # the next start: not again
    assert await storage.attached_examples.all() == []

    exported = export_yaml([Example("renovacion", "es", RENEWAL_QUESTION), Example(OUT_OF_SCOPE, "es", "hola")],
                           own.knowledge)
    import yaml
    data = yaml.safe_load(exported)
    assert data["renovacion"] == {"examples": {"es": [RENEWAL_QUESTION]}}
    assert data["out_of_scope"] == {"es": ["hola"]}
    assert "# knowledge/procedures/renovacion.yaml" in exported


async def test_python_m_bot_examples_export_prints_yaml_for_the_knowledge(tmp_path):
    import yaml
    from bot.storage import Storage
    from .test_cli import run_bot
    database = tmp_path / "bot.sqlite3"
    storage = await Storage.open(database)
    await storage.attached_examples.attach(entry_id="renovacion", language="es", text=RENEWAL_QUESTION,
                                           staff_id="900", staff_name="Lupita")
    await storage.attached_examples.attach(entry_id=OUT_OF_SCOPE, language="es", text=METRO_QUESTION,
                                           staff_id="900", staff_name="Lupita")
    await storage.close()
    listed = run_bot("examples", env={"DATABASE_PATH": str(database)})
    assert listed.returncode == 0, listed.stderr
    assert RENEWAL_QUESTION in listed.stdout and "Lupita" in listed.stdout
    exported = run_bot("examples", "--export", env={"DATABASE_PATH": str(database)})
    assert exported.returncode == 0, exported.stderr
    data = yaml.safe_load(exported.stdout)
    assert data == {"renovacion": {"examples": {"es": [RENEWAL_QUESTION]}}, "out_of_scope": {"es": [METRO_QUESTION]}}
    assert "# knowledge/procedures/renovacion.yaml" in exported.stdout
