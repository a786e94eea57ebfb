"""Settings from the environment (never from code or committed files); validated once at start-up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR
from bot.runtime.logs import LEVELS

DEFAULT_DATABASE_PATH = "data/bot.sqlite3"
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


WHATSAPP_REQUIRED = ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET",
                     "WHATSAPP_VERIFY_TOKEN")
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
# The Graph API version the requests name (…/v26.0/<phone number id>/messages). Meta supports each version for about
# two years; WHATSAPP_API_VERSION moves to a newer one without a release.
DEFAULT_GRAPH_VERSION = "v26.0"
_GRAPH_VERSION = re.compile(r"^v?(\d{2,3})\.0$")


@dataclass(frozen=True)
class WhatsAppSettings:
    """The WhatsApp Cloud API channel: on when the four required variables are set."""

    access_token: str = field(repr=False)
    phone_number_id: str
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    api_base_url: str = DEFAULT_GRAPH_URL
    api_version: str = DEFAULT_GRAPH_VERSION
    update_template: str = "inm_update"
    reply_template: str = "staff_reply"
    reminder_template: str = "inm_reminder"

    @classmethod
    def from_env(cls, get) -> "WhatsAppSettings | None":
        present = [name for name in WHATSAPP_REQUIRED if get(name)]
        if not present:
            return None
        missing = [name for name in WHATSAPP_REQUIRED if not get(name)]
        if missing:
            raise ConfigError(f"WhatsApp needs all of {', '.join(WHATSAPP_REQUIRED)}; missing: {', '.join(missing)}")
        if not get("WHATSAPP_PHONE_NUMBER_ID").isdigit():
            raise ConfigError("WHATSAPP_PHONE_NUMBER_ID must be the numeric phone number id from Meta's app dashboard")
        base = (get("WHATSAPP_API_BASE_URL") or DEFAULT_GRAPH_URL).rstrip("/")
        if not base.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError("WHATSAPP_API_BASE_URL must be an https:// URL (plain http only for 127.0.0.1 or localhost)")
        version = get("WHATSAPP_API_VERSION") or DEFAULT_GRAPH_VERSION
        match = _GRAPH_VERSION.match(version)
        if match is None:
            raise ConfigError(f"WHATSAPP_API_VERSION must be a Graph API version like {DEFAULT_GRAPH_VERSION}, "
                              f"got {version!r}")
        return cls(get("WHATSAPP_ACCESS_TOKEN"), get("WHATSAPP_PHONE_NUMBER_ID"), get("WHATSAPP_APP_SECRET"),
                   get("WHATSAPP_VERIFY_TOKEN"), base, f"v{match.group(1)}.0",
                   get("WHATSAPP_UPDATE_TEMPLATE") or "inm_update",
                   get("WHATSAPP_REPLY_TEMPLATE") or "staff_reply", get("WHATSAPP_REMINDER_TEMPLATE") or "inm_reminder")


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_base_url: str | None = None
    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    data_dir: Path | None = None   # writable, for what the bot derives (the trained classifier); None: DB's folder
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    port: int = 8443
    staff_chat_id: int | None = None
    admin_user_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    handoff_release_minutes: int = 120
    question_retention_days: int = 180
    reminder_hours: tuple[int, int] = (8, 21)     # Mexico City hours in which reminders may go out
    health_inbox_minutes: int = 10                # bot/runtime/health.py: an update pending longer = stuck inbox
    health_polling_minutes: int = 5               # no getUpdates answer for longer = Telegram polling stopped
    health_whatsapp_failures: int = 10            # this many WhatsApp sends failed in a row = unhealthy
    whatsapp: WhatsAppSettings | None = None

    def __post_init__(self) -> None:
        if self.data_dir is None:
            object.__setattr__(self, "data_dir", Path(self.database_path).parent)

    def secrets(self) -> tuple[str | None, ...]:
        """Values that must never appear in a log line."""
        wa = self.whatsapp
        return (self.telegram_bot_token, self.webhook_secret,
                *((wa.access_token, wa.app_secret, wa.verify_token) if wa else ()))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        get = lambda name: (env.get(name) or "").strip() or None  # noqa: E731 - tiny local reader
        webhook_url, secret = get("WEBHOOK_URL"), get("WEBHOOK_SECRET")
        if webhook_url and not secret:
            raise ConfigError("WEBHOOK_SECRET is required when WEBHOOK_URL is set (Telegram sends it back "
                              "in every request, so forged updates are refused)")
        if secret and not _SECRET_TOKEN.match(secret):
            raise ConfigError("WEBHOOK_SECRET may only hold 1-256 letters, digits, '_' and '-'")
        database_path = Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH)
        return cls(
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL"),
            database_path=database_path,
            data_dir=_data_dir(get("DATA_DIR"), database_path),
            knowledge_dir=Path(get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR),
            webhook_url=webhook_url, webhook_secret=secret,
            port=_int(get("PORT") or "8443", "PORT"),
            staff_chat_id=_int(get("STAFF_CHAT_ID"), "STAFF_CHAT_ID") if get("STAFF_CHAT_ID") else None,
            admin_user_ids=frozenset(_int(part, "ADMIN_USER_IDS")
                                     for part in re.split(r"[,\s]+", get("ADMIN_USER_IDS") or "") if part),
            log_level=_level(get("LOG_LEVEL")),
            handoff_release_minutes=_positive(get("HANDOFF_RELEASE_MINUTES") or "120", "HANDOFF_RELEASE_MINUTES"),
            question_retention_days=_positive(get("QUESTION_RETENTION_DAYS") or "180", "QUESTION_RETENTION_DAYS"),
            reminder_hours=_hours(get("REMINDER_HOURS") or "8-21"),
            health_inbox_minutes=_positive(get("HEALTH_INBOX_MINUTES") or "10", "HEALTH_INBOX_MINUTES"),
            health_polling_minutes=_positive(get("HEALTH_POLLING_MINUTES") or "5", "HEALTH_POLLING_MINUTES"),
            health_whatsapp_failures=_positive(get("HEALTH_WHATSAPP_FAILURES") or "10", "HEALTH_WHATSAPP_FAILURES"),
            whatsapp=WhatsAppSettings.from_env(get),
        )


def _data_dir(value: str | None, database_path: Path) -> Path:
    """DATA_DIR: where the bot may write what it derives (the trained classifier); default the database's folder."""
    folder = Path(value) if value else database_path.parent
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"DATA_DIR must be a folder, got a file: {folder}")
    return folder


def _hours(value: str) -> tuple[int, int]:
    """REMINDER_HOURS "8-21": reminders go out from 08:00 until 21:00 Mexico City time."""
    match = re.fullmatch(r"(\d{1,2})\s*-\s*(\d{1,2})", value)
    if match is None or not 0 <= int(match.group(1)) < int(match.group(2)) <= 24:
        raise ConfigError(f"REMINDER_HOURS must be two hours like 8-21 (from, until; 0-24), got {value!r}")
    return int(match.group(1)), int(match.group(2))


def _int(value: str | None, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _positive(value: str, name: str) -> int:
    number = _int(value, name)
    if number <= 0:
        raise ConfigError(f"{name} must be a positive whole number, got {value!r}")
    return number


def _level(value: str | None) -> str:
    level = (value or "INFO").upper()
    if level not in LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, got {value!r}")
    return level
