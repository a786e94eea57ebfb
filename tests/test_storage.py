"""The repository: WAL, ordered migrations, users, state, question log, forgetting."""

from __future__ import annotations

import asyncio

from bot.storage import Exchange, Storage, migrations


def exchange(user_id: int, text: str, *, entry_id: str | None = None, unanswered: bool = True,
             choices: tuple[str, ...] = ()) -> Exchange:
    return Exchange(user_id=user_id, language=None, display_name=None, username=None, last_entry_id=entry_id,
                    pending_choices=choices, text=text, answer_language="es",
                    kind="procedure" if entry_id else "none", entry_id=entry_id,
                    candidates=(entry_id,) if entry_id else (), confidence=0.5, unanswered=unanswered)


async def state_of(repo, user_id: int):
    user = await repo.get_user(user_id)
    return (await repo.user_and_state(channel=user.channel, external_id=user.external_id))[1]


async def test_database_runs_in_wal_with_every_migration_applied(repo, tmp_path):
    assert await repo.db.scalar("PRAGMA journal_mode") == "wal"
    assert await repo.db.scalar("PRAGMA user_version") == migrations()[-1][0]
    applied = [row[0] for row in await repo.db.fetchall("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == [version for version, _, _ in migrations()]
    assert await repo.db.scalar("PRAGMA foreign_keys") == 1


async def test_reopening_keeps_data_and_does_not_reapply_migrations(tmp_path):
    path = tmp_path / "bot.sqlite3"
    first = await Storage.open(path)
    user = await first.users.get_or_create_user(channel="telegram", external_id="42", language="en")
    await first.users.set_language(user_id=user.id, language="es", chosen=True)
    await first.close()
    second = await Storage.open(path)
    try:
        again = await second.users.get_or_create_user(channel="telegram", external_id="42")
        assert again.id == user.id and again.language == "es" and again.language_chosen
    finally:
        await second.close()


async def test_state_and_questions_are_kept_per_user(repo):
    ana = await repo.get_or_create_user(channel="telegram", external_id="1", display_name="Ana")
    bob = await repo.get_or_create_user(channel="telegram", external_id="2")
    for text in ("tacos al pastor", "Tacos al pastor!", "clima"):
        await repo.record_exchange(exchange(bob.id, text))
    await repo.record_exchange(exchange(ana.id, "canje", entry_id="canje", unanswered=False,
                                        choices=("s:canje:r", "contact")))
    state = await state_of(repo, ana.id)
    assert state.last_entry_id == "canje" and state.pending_choices == ("s:canje:r", "contact")
    assert (await state_of(repo, bob.id)).last_entry_id is None
    top = await repo.unanswered(limit=5)
    assert [(row.count, row.text) for row in top][0] == (2, "tacos al pastor")
    assert len(top) == 2


async def test_forgetting_a_user_deletes_their_state_and_questions(repo):
    user = await repo.get_or_create_user(channel="telegram", external_id="7")
    await repo.record_exchange(exchange(user.id, "x", entry_id="visas"))
    await repo.forget_user(user_id=user.id)
    assert await repo.find_user(channel="telegram", external_id="7") is None
    assert await repo.unanswered() == []
    again = await repo.get_or_create_user(channel="telegram", external_id="7")
    assert (await state_of(repo, again.id)).last_entry_id is None


async def test_concurrent_writers_do_not_interleave_transactions(repo):
    async def one(i: int) -> None:
        user = await repo.get_or_create_user(channel="telegram", external_id=str(i))
        await repo.record_exchange(exchange(user.id, f"q{i}"))

    await asyncio.gather(*(one(i) for i in range(50)))
    assert await repo.count_users() == 50
    assert len(await repo.unanswered(limit=100)) == 50  # every exchange committed (in shared transactions)


async def test_sql_like_text_is_stored_verbatim(repo):
    user = await repo.get_or_create_user(channel="terminal", external_id="local")
    nasty = "'; DROP TABLE users; --"
    await repo.record_exchange(exchange(user.id, nasty))
    assert (await repo.recent_questions(user_id=user.id))[0].text == nasty
    assert await repo.count_users() == 1


async def test_a_chosen_language_is_a_default_not_a_lock(storage, engine):
    from bot.conversation.assistant import Assistant, Visitor
    assistant = Assistant(engine, storage.users)
    ben = Visitor("terminal", "ben")
    await assistant.set_language(ben, "es")
    answer = await assistant.ask(ben, "sorry I don't speak Spanish, how do I renew my temporary residence card?",
                                 full=False)
    assert answer.language == "en"
    assert (await assistant.ask(ben, "ok 2027?", full=False)).language == "es"  # short: the choice holds
    assert (await assistant.user(ben)).language == "es" and (await assistant.user(ben)).language_chosen


async def test_short_follow_ups_refer_to_the_procedure_under_discussion(storage, engine):
    from bot.conversation.assistant import Assistant, Visitor
    assistant = Assistant(engine, storage.users)
    ana = Visitor("terminal", "ana")
    assert (await assistant.ask(ana, "I need to renew my temporary resident card", full=False)).intent == "renovacion"
    for follow_up in ("what docs", "q documentos", "cuanto tarda", "how much"):
        assert (await assistant.ask(ana, follow_up, full=False)).intent == "renovacion", follow_up


async def test_the_thread_survives_a_topic_answer_and_a_place_names_that_office(storage, engine):
    from bot.conversation.assistant import Assistant, Visitor
    from bot.answers.plain import to_plain
    assistant = Assistant(engine, storage.users)
    ana = Visitor("terminal", "ana2")
    assert (await assistant.ask(ana, "se me vence mi tarjeta de residente temporal", full=False)).intent == "renovacion"
    chapala = await assistant.ask(ana, "¿y en Chapala?", full=False)
    assert chapala.intent == "oficinas" and "renovación" in to_plain(chapala.reply).lower()
    assert (await assistant.ask(ana, "q documentos", full=False)).intent == "renovacion"  # still the renewal


async def test_dates_stored_under_the_old_permanent_rule_are_dropped_not_misread(tmp_path):
    """Migration 0008: temporal_a_permanente's stored date used to mean the start of residence; it now means the
    card's expiry, so the old date and its pending reminders go (other procedures' are kept)."""
    import sqlite3

    path = tmp_path / "bot.sqlite3"
    old = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version <= 7:
            old.executescript(sql)
    old.execute("PRAGMA user_version = 7")
    old.execute("INSERT INTO users (id, channel, external_id) VALUES (1, 'telegram', '1001')")
    for entry, given in (("temporal_a_permanente", "2023-05-05"), ("renovacion", "2027-03-15")):
        old.execute("INSERT INTO deadlines VALUES (1, ?, ?, '2026-11-01T00:00:00.000Z')", (entry, given))
        old.execute("INSERT INTO reminders (user_id, entry_id, given_date, kind, due_at, created_at) "
                    "VALUES (1, ?, ?, 'opens', '2027-05-05T15:00:00.000Z', '2026-11-01T00:00:00.000Z')", (entry, given))
    old.commit()
    old.close()
    storage = await Storage.open(path)
    try:
        statuses = {r.entry_id: r.status for r in await storage.reminders.listing()}
        assert statuses == {"temporal_a_permanente": "dropped", "renovacion": "scheduled"}
        assert [d.entry_id for d in await storage.reminders.deadlines(user_id=1)] == ["renovacion"]
    finally:
        await storage.close()
