"""The command line as staff and tools use it: `ask --json`, `ask`, `chat`, `unanswered`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from .conftest import ROOT

FIELDS = {"short_answer", "question", "language", "intent", "kind", "candidates", "confidence", "appointment", "reply", "referral",
          "decided_by"}


def run_bot(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=120, env=full_env)


def test_ask_json_answers_every_line_of_standard_input():
    lines = ["What's next after I got my resident visa at the consulate?", "", "qué tal el clima hoy",
             "unidad familiar", "🙂", "x" * 10_000]
    result = run_bot("ask", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(lines)
    assert all(set(r) == FIELDS for r in records)
    first, _, weather, family, _, _ = records
    assert (first["intent"], first["kind"], first["language"], first["appointment"]) == \
        ("canje", "procedure", "en", "required")
    assert first["candidates"][0] == "canje" and 0 < first["confidence"] <= 1
    assert (weather["intent"], weather["kind"], weather["candidates"]) == (None, "none", [])
    assert family["kind"] == "ambiguous" and family["intent"] is None
    assert "¿Temporal o permanente: qué residencia solicitas por tu vínculo familiar?" in family["reply"]


def test_ask_plain_text_and_forced_language():
    result = run_bot("ask", "--lang", "en", "perdí", "mi", "tarjeta", "de", "residente")
    assert result.returncode == 0, result.stderr
    assert "Official name: Expedición de documento migratorio por reposición" in result.stdout


def test_terminal_chat_uses_the_database_and_remembers_the_language(tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "chat.sqlite3")}
    script = "unidad familiar\n1\n/language en\ntacos al pastor\n/quit\n"
    first = run_bot("chat", stdin=script, env=env)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "1) Residente permanente" in out or "1) " in out
    assert "Cambio a residente permanente por unidad familiar" in out or "unidad familiar" in out
    assert "Done: I'll answer in English." in out
    assert "I can't help with that one." in out
    second = run_bot("chat", stdin="hola\n/quit\n", env=env)
    assert "Goodbye!" in second.stdout  # the language choice survived the restart
    with sqlite3.connect(tmp_path / "chat.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM questions").fetchone()[0] == 3
    unanswered = run_bot("unanswered", env=env)
    assert "tacos al pastor" in unanswered.stdout


def test_a_choice_number_that_does_not_exist_is_explained(tmp_path):
    result = run_bot("chat", stdin="7\n/quit\n", env={"DATABASE_PATH": str(tmp_path / "c.sqlite3")})
    assert "No hay opción 7" in result.stdout


def test_broken_knowledge_stops_start_up_before_the_database_is_touched(tmp_path):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "firm.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    db = tmp_path / "never.sqlite3"
    result = run_bot("chat", stdin="/quit\n", env={"KNOWLEDGE_DIR": str(knowledge), "DATABASE_PATH": str(db)})
    assert result.returncode == 2
    assert "firm.yaml: YAML syntax error at line" in result.stderr
    assert not db.exists()


def test_a_bare_language_command_in_the_terminal_offers_both_languages(tmp_path):
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "chat.sqlite3"), "TELEGRAM_BOT_TOKEN": ""}
    result = subprocess.run([sys.executable, "-m", "bot", "chat"], input="/language\n2\n/quit\n", text=True,
                            capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert "1) 🇲🇽 Español" in result.stdout and "2) 🇺🇸 English" in result.stdout
    assert "I'll answer in English" in result.stdout


def test_ask_shows_the_phone_view_and_full_shows_everything():
    short = run_bot("ask", "perdí mi tarjeta de residente")
    full = run_bot("ask", "--full", "perdí mi tarjeta de residente")
    assert "1) 📄 Requisitos" in short.stdout and "▸ Qué preparar" not in short.stdout
    assert "▸ Qué preparar" in full.stdout and "▸ Fuentes" in full.stdout


def test_the_terminal_contact_answer_says_no_person_reads_this_chat(tmp_path):
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "chat.sqlite3"), "TELEGRAM_BOT_TOKEN": ""}
    result = subprocess.run([sys.executable, "-m", "bot", "chat"], input="/contact\n/quit\n", text=True,
                            capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert "no te atiende ninguna persona" in result.stdout and "escribe aquí" not in result.stdout.lower()


def test_the_terminal_works_out_a_window_and_lists_reminders_it_cannot_deliver(tmp_path):
    env = {"DATABASE_PATH": str(tmp_path / "chat.sqlite3")}
    result = run_bot("chat", stdin="my card expires 15/03/2030\n1\n/reminders\n/quit\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "Your window: from February 13 to March 15, 2030." in result.stdout
    assert "1) ⏰ Remind me" in result.stdout
    assert "I'll remind you here at 9:00 (Mexico City time): February 13, 2030, March 8, 2030, March 14, 2030" \
        in result.stdout
    assert "Renewal of the temporary resident card: one week left, March 8, 2030" in result.stdout
    assert "sent only on Telegram and WhatsApp" in result.stdout
    listing = run_bot("reminders", env=env)
    assert listing.returncode == 0 and listing.stdout.count("scheduled") == 3 and "(terminal)" in listing.stdout


def test_the_terminal_keeps_the_thread_refers_elsewhere_and_says_no_person_reads_it(tmp_path):
    script = "\n".join(["necesito sacar mi RFC en el SAT", "gracias", "renovación de residencia temporal",
                        "q documentos", "¿y en Chapala?", "sorry I don't speak Spanish, how do I renew my temporary card",
                        "/contact", "/quit"]) + "\n"
    result = run_bot("chat", stdin=script, env={"DATABASE_PATH": str(tmp_path / "chat.sqlite3")})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Esto no es un trámite del INM." in out and "¡Con gusto!" in out
    assert "Sobre Expedición de documento migratorio por renovación:" in out and "Qué preparar" in out
    assert "Renewal of the temporary resident card" in out
    assert "Nobody from the firm reads this terminal chat" in out
