"""Logging set-up: every record passes a filter that removes secrets, at every level and from every library."""

from __future__ import annotations

import logging
import re
from typing import Iterable

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Telegram bot tokens look like 123456789:AA...; they appear in Bot API URLs (/bot<token>/method).
_BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replace known secret values and anything shaped like a bot token in the final message."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _BOT_TOKEN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    """One handler on the root logger, with the secret filter on the handler (so library loggers pass it too)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request is noise, not news
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # its DEBUG lines quote every SQL parameter: user text
    logging.getLogger("telegram").setLevel(max(logging.INFO, getattr(logging, level)))  # DEBUG quotes messages
    # AIORateLimiter runs with max_retries=0 (the outbox retries) and logs every RetryAfter it passes on as an
    # error with a traceback; the outbox logs the same event once, as a warning.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
