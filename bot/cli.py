"""Command line: `python -m bot [run|chat|ask|check|unanswered|examples|reminders|backup|restore|health]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from bot.knowledge.catalogue import KnowledgeError, load_catalogue
from bot.runtime.config import ConfigError, Settings
from bot.answers.engine import Engine
from bot.answers.examples import StaffExamples
from bot.runtime.logs import setup_logging
from bot.answers.plain import to_plain
from bot.clock import Clock, SystemClock, local_today
from bot.storage import Storage, StorageError
from bot.texts import Texts, TextsError

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="INM procedures assistant (es/en).")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="start every configured channel (Telegram, WhatsApp); with none, the terminal chat "
                              "(only in a terminal: under systemd or Docker that is a configuration error)")
    sub.add_parser("chat", help="talk to the assistant in the terminal")
    ask = sub.add_parser("ask", help="answer TEXT, or each line of standard input")
    ask.add_argument("--json", action="store_true", help="one JSON object per line")
    ask.add_argument("--lang", choices=("es", "en"), help="answer in this language instead of the detected one")
    ask.add_argument("--full", action="store_true",
                     help="every section of the entry at once (default: what a phone user sees first)")
    ask.add_argument("text", nargs="*", help="the question (default: read lines from standard input)")
    sub.add_parser("check", help="validate the knowledge files and warn about placeholders")
    unanswered = sub.add_parser("unanswered", help="the questions the bot could not match, most frequent first")
    unanswered.add_argument("--limit", type=int, default=20)
    examples = sub.add_parser("examples", help="the questions staff attached from the staff chat (in the database)")
    examples.add_argument("--export", action="store_true",
                          help="print them as YAML to paste into knowledge/ (to make them permanent)")
    reminders = sub.add_parser("reminders", help="the reminders users scheduled (safe while the bot runs)")
    reminders.add_argument("--json", action="store_true", help="one JSON object per line")
    backup = sub.add_parser("backup", help="copy the database (DATABASE_PATH) to PATH; safe while the bot runs")
    backup.add_argument("path", help="the backup file to write (its folder is created; an older backup is replaced)")
    restore = sub.add_parser("restore", help="put a backup in place of the database (DATABASE_PATH); the bot must be "
                                             "stopped")
    restore.add_argument("path", help="the backup file, or - to read it from standard input")
    sub.add_parser("health", help="exit 0 with one JSON line if the running bot is healthy, else 1 with one line "
                                  "saying why (reads the database; safe while the bot runs)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        setup_logging(settings.log_level, settings.secrets())
        command = args.command or "run"
        if command == "check":
            return check(settings)
        if command == "ask":
            return ask(settings, args)
        if command == "unanswered":
            return asyncio.run(unanswered(settings, args.limit))
        if command == "examples":
            return asyncio.run(examples(settings, export=args.export))
        if command == "reminders":
            return asyncio.run(reminders(settings, as_json=args.json))
        if command == "backup":
            return backup(settings, args.path)
        if command == "restore":
            return restore(settings, args.path)
        if command == "health":
            return health(settings)
        if command == "run" and not (settings.telegram_bot_token or settings.whatsapp) and not sys.stdin.isatty():
            raise ConfigError("no channel is configured (set TELEGRAM_BOT_TOKEN, or the four WHATSAPP_* variables); "
                              "the terminal chat needs an interactive terminal")
        if command == "chat" or not (settings.telegram_bot_token or settings.whatsapp):
            return asyncio.run(chat(settings))
        from bot.app import serve
        asyncio.run(serve(settings))
        return 0
    except (KnowledgeError, TextsError, ConfigError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `python -m bot ask ... | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def check(settings: Settings, clock: Clock | None = None) -> int:
    """Validate knowledge and texts; exit 1 on any error, 0 with warnings for placeholders still to fill and fees
    whose year is past (users are told those amounts may have changed until staff confirm the new figure)."""
    try:
        catalogue = load_catalogue(settings.knowledge_dir)
        Texts.load()
    except (KnowledgeError, TextsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {len(catalogue.entries)} entries ({len(catalogue.procedures())} procedures, "
          f"{len(catalogue.topics())} topics) in {settings.knowledge_dir}")
    for placeholder in catalogue.placeholders:
        print(f"warning: {placeholder.file}: {placeholder.where} is still a placeholder: {placeholder.value}")
    if catalogue.placeholders:
        print(f"warning: {len(catalogue.placeholders)} placeholder(s) left; users do not see them until filled in")
    year = local_today(clock or SystemClock()).year
    old = catalogue.fees_before(year)
    for entry, index, fee in old:
        print(f"warning: {entry.file}: entry '{entry.id}': fees[{index}] ({fee.concept.en}) is the {fee.year} "
              f"amount; confirm the {year} figure and set its year")
    if old:
        print(f"warning: {len(old)} fee(s) from before {year}; users are told those amounts may have changed")
    return 0


def ask(settings: Settings, args: argparse.Namespace) -> int:
    engine = Engine.from_directory(settings.knowledge_dir, data_dir=settings.data_dir)
    questions = [" ".join(args.text)] if args.text else (line.rstrip("\r\n") for line in sys.stdin)
    for question in questions:
        answer = engine.answer(question, language=args.lang, full=args.full, numbered=True)
        if args.json:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
        else:
            print(to_plain(answer.reply, numbered_buttons=True), end="\n\n", flush=True)
    return 0


async def chat(settings: Settings) -> int:
    from bot.channels.terminal import TerminalChat
    from bot.conversation.turn import terminal_front_door
    # validate knowledge before touching the database
    engine = Engine.from_directory(settings.knowledge_dir, data_dir=settings.data_dir)
    storage = await Storage.open(settings.database_path)
    try:
        await StaffExamples(engine, storage.attached_examples, settings.knowledge_dir).start()  # what staff taught
        await TerminalChat(terminal_front_door(engine, storage)).run()
    finally:
        await storage.close()
    return 0


async def unanswered(settings: Settings, limit: int) -> int:
    if not Path(settings.database_path).exists():
        print(f"no database at {settings.database_path} yet")
        return 0
    storage = await Storage.open(settings.database_path)
    try:
        rows = await storage.users.unanswered(limit=limit)
    finally:
        await storage.close()
    if not rows:
        print("no unanswered questions")
    for row in rows:
        print(f"{row.count:5d}  {row.last_asked[:16]}  {row.text}")
    return 0


async def examples(settings: Settings, *, export: bool) -> int:
    """The attached examples, one a line, or (--export) as YAML for the knowledge files; safe while the bot runs."""
    from bot.answers.attached import Example, export_yaml
    rows = []
    if Path(settings.database_path).exists():
        storage = await Storage.open(settings.database_path)
        try:
            rows = await storage.attached_examples.all()
        finally:
            await storage.close()
    if export:
        try:
            catalogue = load_catalogue(settings.knowledge_dir)
        except KnowledgeError:
            catalogue = None  # still export; only the file names are missing
        print(export_yaml([Example(r.entry_id, r.language, r.text) for r in rows], catalogue), end="")
        return 0
    if not rows:
        print("no attached examples")
    for row in rows:
        print(f"{row.id:5d}  {row.created_at[:16]}  {row.entry_id:24}  {row.language}  "
              f"{row.staff_name or '-':16}  {row.text}")
    return 0


async def reminders(settings: Settings, *, as_json: bool) -> int:
    """Every reminder (user, channel, procedure, when, status), soonest first; read while the bot runs (WAL)."""
    from bot.clock import MEXICO_CITY
    if not Path(settings.database_path).exists():
        print(f"no database at {settings.database_path} yet")
        return 0
    storage = await Storage.open(settings.database_path)
    try:
        rows = await storage.reminders.listing()
    finally:
        await storage.close()
    if not rows and not as_json:
        print("no reminders")
    for row in rows:
        due = row.due_at.astimezone(MEXICO_CITY).isoformat()
        if as_json:
            print(json.dumps({"user": row.user_id, "channel": row.channel, "entry": row.entry_id, "kind": row.kind,
                              "due": due, "status": row.reported_status, "given": row.given.isoformat()}),
                  flush=True)
        else:
            print(f"{due}  {row.reported_status:9}  {row.kind:8}  {row.entry_id:24}  user {row.user_id} "
                  f"({row.channel})")
    return 0


def backup(settings: Settings, path: str) -> int:
    """One line: where the backup went, its size and every table's row count; errors are one line, exit 1."""
    from bot.runtime.backup import BackupError, backup as make_backup
    try:
        result = make_backup(settings.database_path, path)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def restore(settings: Settings, path: str) -> int:
    """One line: what was restored, what will not be answered again, what was paused; errors one line, exit 1."""
    from bot.runtime.backup import BackupError, restore as put_back
    try:
        result = put_back(path, settings.database_path)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def health(settings: Settings) -> int:
    """Exit 0 and one JSON line when healthy; exit 1 and one `unhealthy: …` line (standard error) otherwise."""
    from bot.clock import SystemClock
    from bot.runtime.health import check_database
    from bot.channels.whatsapp.classify import RECIPIENT_ONLY
    report = asyncio.run(check_database(settings, SystemClock().now(), RECIPIENT_ONLY))
    print(report.line(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
