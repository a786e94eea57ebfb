"""Is the bot working? The answer behind `GET /healthz` and `python -m bot health`.

Failing (HTTP 503 / exit 1, one line saying why) when:
- the inbox is stuck: an update has waited longer than HEALTH_INBOX_MINUTES to be handled;
- Telegram polling has stopped: its heartbeat (written after every getUpdates answer) is older than
  HEALTH_POLLING_MINUTES, or the poller recorded that it stopped (a revoked token);
- WhatsApp sends fail continuously: the last HEALTH_WHATSAPP_FAILURES sends all failed for a reason that is the
  account's, not one recipient's (a user outside the 24-hour window or one who blocked the business says nothing
  about the account);
- (the command only) no process holds the instance lock: the bot is not running.

Everything is read from the database, so the command works from another process (Docker's HEALTHCHECK, a
monitoring agent) while the bot runs; times are compared with the clock the caller passes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bot.runtime.config import Settings
from bot.storage import Database, HealthRepository, StorageError, from_utc_iso, utc_iso

POLLING = "telegram.polling"
WHATSAPP = "whatsapp"
BEAT_EVERY = dt.timedelta(seconds=10)     # a running loop's heartbeat is written at most this often


@dataclass(frozen=True)
class HealthRules:
    inbox_stuck: dt.timedelta = dt.timedelta(minutes=10)
    polling_stale: dt.timedelta = dt.timedelta(minutes=5)
    failed_sends: int = 10
    # error codes about one recipient or message, not the account (the WhatsApp channel's, given by the caller)
    recipient_only: frozenset[int] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings, recipient_only: frozenset[int] = frozenset()) -> "HealthRules":
        return cls(dt.timedelta(minutes=settings.health_inbox_minutes),
                   dt.timedelta(minutes=settings.health_polling_minutes), settings.health_whatsapp_failures,
                   recipient_only)


@dataclass(frozen=True)
class Health:
    problems: tuple[str, ...]
    facts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """One line: the JSON facts when healthy, otherwise every problem, most important first."""
        if self.ok:
            return json.dumps({"status": "ok", **self.facts}, separators=(",", ":"))
        return "unhealthy: " + "; ".join(" ".join(problem.split()) for problem in self.problems)  # one line


def _age(now: dt.datetime, iso: str) -> dt.timedelta:
    return now - from_utc_iso(iso)


def _minutes(delta: dt.timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    return f"{seconds // 60} min" if seconds >= 120 else f"{seconds} s"


async def check(repo: HealthRepository, now: dt.datetime, rules: HealthRules, *, polling: bool,
                whatsapp: bool) -> Health:
    """The three conditions, read from the database; `polling` and `whatsapp` say which channels to expect."""
    problems: list[str] = []
    facts: dict = {}
    pending, oldest = await repo.pending_inbox()
    facts["inbox_pending"] = pending
    if oldest is not None:
        waited = _age(now, oldest)
        facts["inbox_oldest_s"] = max(0, int(waited.total_seconds()))
        if waited > rules.inbox_stuck:
            problems.append(f"inbox stuck: {pending} update(s) pending, the oldest for {_minutes(waited)} "
                            f"(limit {_minutes(rules.inbox_stuck)})")
    if polling:
        beat = await repo.heartbeat(POLLING)
        if beat is None:
            problems.append("Telegram polling has never run on this database")
        else:
            age = _age(now, beat.at)
            facts["telegram_polled_s_ago"] = max(0, int(age.total_seconds()))
            why = f": {beat.detail}" if beat.detail else ""
            if beat.state != "running":
                problems.append(f"Telegram polling stopped {_minutes(age)} ago{why}")
            elif age > rules.polling_stale:
                problems.append(f"Telegram polling stalled: no answer from getUpdates for {_minutes(age)} "
                                f"(limit {_minutes(rules.polling_stale)}){why}")
    if whatsapp and rules.failed_sends > 0:
        sends = await repo.last_sends(WHATSAPP, rules.failed_sends)
        failing = [s for s in sends if s.status == "failed" and s.code not in rules.recipient_only]
        facts["whatsapp_last_sends_failed"] = len(failing)
        if len(sends) == rules.failed_sends and len(failing) == len(sends):
            last = sends[0]
            problems.append(f"WhatsApp: the last {len(sends)} sends all failed (latest: {last.error or last.code})")
    return Health(tuple(problems), facts)


class HeartbeatWriter:
    """One loop's heartbeat in the database: (state, detail) from the loop, timed by the bot's clock.

    "running" is written at most every BEAT_EVERY while nothing changes (a busy poller answers many times a
    second); "stopped" always; "problem" only notes the detail, so a lasting problem lets the heartbeat go stale.
    """

    def __init__(self, repo: HealthRepository, name: str, clock: Callable[[], dt.datetime]):
        self.repo = repo
        self.name = name
        self.clock = clock
        self._written: tuple[dt.datetime, str, str | None] | None = None

    async def __call__(self, state: str, detail: str | None) -> None:
        if state == "problem":
            await self.repo.note(self.name, detail or "")
            if self._written is not None:
                self._written = (self._written[0], self._written[1], detail)
            return
        now = self.clock()
        if self._written is not None and self._written[1:] == (state, detail) \
                and dt.timedelta(0) <= now - self._written[0] < BEAT_EVERY:
            return
        await self.repo.beat(self.name, at_iso=utc_iso(now), state=state, detail=detail)
        self._written = (now, state, detail)


def lock_held(database_path: str | Path) -> bool | None:
    """Does a process hold the instance lock (bot/runtime/instance.py)? None if there is no lock file.

    Tested with a shared lock, taken and released at once: it never blocks the bot, but a bot starting in that
    very instant waits one standby poll (a second) before it takes the lock.
    """
    path = Path(f"{database_path}.lock")
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def expects_polling(settings: Settings) -> bool:
    return bool(settings.telegram_bot_token) and not settings.webhook_url


async def check_database(settings: Settings, now: dt.datetime,
                         recipient_only: frozenset[int] = frozenset()) -> Health:
    """`python -m bot health`: the bot's process, then the three conditions, from another process."""
    path = settings.database_path
    if not Path(path).is_file():
        return Health((f"no database at DATABASE_PATH={path} (the bot has never run with it)",))
    problems: list[str] = []
    try:
        if not lock_held(path):
            problems.append(f"the bot is not running (no process holds {path}.lock)")
    except OSError as exc:   # e.g. another user than the bot's: the lock file is the bot's own (mode 0600)
        problems.append(f"cannot check {path}.lock ({exc.strerror or exc}): run the command as the bot's user")
    try:
        db = await Database.open_readonly(path)
    except StorageError as exc:
        return Health((*problems, str(exc)))
    try:
        if not await db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'heartbeats'"):
            return Health((*problems, "the database has no health tables yet: start the bot of this release once"))
        health = await check(HealthRepository(db), now, HealthRules.from_settings(settings, recipient_only),
                             polling=expects_polling(settings), whatsapp=settings.whatsapp is not None)
    except Exception as exc:  # noqa: BLE001 - the check must answer in one line whatever the database holds
        return Health((*problems, f"cannot read the database: {exc}"))
    finally:
        await db.close()
    return Health((*problems, *health.problems), health.facts)
