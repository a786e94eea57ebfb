"""What a python-telegram-bot exception means for the outbox (bot/runtime/outbox.py holds the one retry policy)."""

from __future__ import annotations

import datetime as dt

from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.runtime.outbox import Outcome, Verdict

# BadRequest texts that mean the recipient is gone for good.
GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked", "peer_id_invalid",
        "user not found")


def seconds(value: float | int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def classify(exc: BaseException) -> Verdict | None:
    """None for anything that is not a Telegram error (a bug: the caller sees it)."""
    if isinstance(exc, RetryAfter):
        return Verdict(Outcome.RATE_LIMITED, seconds(exc.retry_after) + 0.1, "flood control")
    if isinstance(exc, Forbidden):
        return Verdict(Outcome.BLOCKED, reason=exc.message)
    if isinstance(exc, BadRequest):
        text = exc.message.lower()
        if "not modified" in text:
            return Verdict(Outcome.NOT_MODIFIED, reason=exc.message)
        if any(marker in text for marker in GONE):
            return Verdict(Outcome.BLOCKED, reason=exc.message)
        return Verdict(Outcome.REJECTED, reason=exc.message)
    if isinstance(exc, InvalidToken):
        return Verdict(Outcome.REJECTED, reason="the bot token was refused")
    if isinstance(exc, (TimedOut, NetworkError)):  # PTB raises 5xx answers as NetworkError
        return Verdict(Outcome.TRANSIENT, reason=str(exc)[:200])
    if isinstance(exc, TelegramError):
        return Verdict(Outcome.REJECTED, reason=exc.message)
    return None
