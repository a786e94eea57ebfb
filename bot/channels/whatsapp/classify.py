"""What a Graph API error means for the outbox (the one retry policy lives in bot/runtime/outbox.py)."""

from __future__ import annotations

import httpx

from bot.runtime.outbox import Outcome, Verdict
from bot.channels.whatsapp.client import GraphError

OUTSIDE_WINDOW = 131047          # more than 24 hours since the user's last message: only templates
PAIR_RATE = 131056               # too many messages to one user in a short time
THROUGHPUT = (130429, 80007, 4)  # the number's (or app's) throughput
UNREACHABLE = (131026,)          # not on WhatsApp, cannot receive, or blocked the business
PAIR_WAIT = 6.0                  # about one message per 6 s to one user is what Meta tolerates


def classify(exc: BaseException) -> Verdict | None:
    if isinstance(exc, GraphError):
        if exc.code == OUTSIDE_WINDOW:
            return Verdict(Outcome.OUTSIDE_WINDOW, reason=str(exc))
        if exc.code == PAIR_RATE:
            return Verdict(Outcome.RATE_LIMITED, PAIR_WAIT, str(exc))
        if exc.code in THROUGHPUT or exc.http_status == 429:
            return Verdict(Outcome.RATE_LIMITED, 1.0, str(exc), whole_channel=True)
        if exc.code in UNREACHABLE:
            return Verdict(Outcome.BLOCKED, reason=str(exc))
        if exc.http_status >= 500 or exc.code in (1, 2, 131000, 131016):
            return Verdict(Outcome.TRANSIENT, reason=str(exc))
        return Verdict(Outcome.REJECTED, reason=str(exc))
    if isinstance(exc, httpx.TransportError):
        return Verdict(Outcome.TRANSIENT, reason=type(exc).__name__)
    return None
