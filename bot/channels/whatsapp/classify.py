"""What a Graph API error means for the outbox (the one retry policy lives in bot/runtime/outbox.py).

Meta's guidance is to branch on the error `code`, never on its title. Codes from Meta's error-code reference (as
summarised in the project's WhatsApp notes) and pywa's error classes.
"""

from __future__ import annotations

import httpx

from bot.runtime.outbox import Outcome, Verdict
from bot.channels.whatsapp.client import GraphError

OUTSIDE_WINDOW = 131047          # more than 24 hours since the user's last message: only templates
PAIR_RATE = 131056               # too many messages to one user in a short time
THROUGHPUT = (130429, 80007, 4)  # the number's (or app's) throughput
UNREACHABLE = (131026,)          # not on WhatsApp, cannot receive, or blocked the business
PAIR_WAIT = 6.0                  # about one message per 6 s to one user is what Meta tolerates
MARKETING_LIMIT = 131049         # per-user marketing limit: Meta did not deliver it "to maintain healthy ecosystem
                                 # engagement" (also what +1 US numbers get for Marketing templates). Not retried.
MARKETING_STOPPED = 131050       # the user turned off marketing messages from this business
PAYMENT = 131042                 # a payment or billing problem on the WhatsApp Business account: the business's own
TEMPLATE_PAUSED = 132015         # the template was paused for low quality
TEMPLATE_DISABLED = 132016       # the template was disabled (paused too often)
TOKEN = (190, 0)                 # the access token expired or was revoked
# Errors about one recipient or one message, not about the account: they never make the channel unhealthy
# (bot/runtime/health.py). 131030: not in a test number's allowed list; 130472: Meta's marketing experiment group;
# 131021: the recipient is the sender.
RECIPIENT_ONLY = frozenset({OUTSIDE_WINDOW, PAIR_RATE, *UNREACHABLE, MARKETING_LIMIT, MARKETING_STOPPED,
                            131021, 131030, 130472})
# What the operators must do, for the errors that are the business's to fix (logged as errors, see the outbox).
ACTIONS = {
    PAYMENT: "payment problem on the WhatsApp Business account: add or fix the payment method in Meta Business "
             "Suite (Billing & payments) or with your solution partner; nothing is sent until it is fixed",
    TEMPLATE_PAUSED: "the template is paused by Meta for low quality (WhatsApp Manager > Message templates shows "
                     "why); edit it or wait for the pause to end",
    TEMPLATE_DISABLED: "the template is disabled by Meta after repeated pauses: create a new template and set its "
                       "name in the WHATSAPP_*_TEMPLATE setting",
    190: "the access token expired or was revoked: create a new system-user token (WHATSAPP_ACCESS_TOKEN)",
    0: "the access token was refused: check WHATSAPP_ACCESS_TOKEN",
}


def explain(code: int | None, reason: str) -> str:
    """A refusal with what to do about it, when the code is one the operators must act on."""
    action = ACTIONS.get(code) if code is not None else None
    return f"{reason} ({action})" if action else reason


def classify(exc: BaseException) -> Verdict | None:
    if isinstance(exc, GraphError):
        code, reason = exc.code, str(exc)
        if code == OUTSIDE_WINDOW:
            return Verdict(Outcome.OUTSIDE_WINDOW, reason=reason, code=code)
        if code == PAIR_RATE:
            return Verdict(Outcome.RATE_LIMITED, PAIR_WAIT, reason, code=code)
        if code in THROUGHPUT or exc.http_status == 429:
            return Verdict(Outcome.RATE_LIMITED, 1.0, reason, whole_channel=True, code=code)
        if code in UNREACHABLE:
            return Verdict(Outcome.BLOCKED, reason=reason, code=code)
        if code == MARKETING_LIMIT:   # not the user's choice and not permanent: not blocked, not retried now
            return Verdict(Outcome.REJECTED, reason=f"{reason} (per-user marketing limit: not delivered to keep "
                                                    "engagement healthy; not retried)", code=code)
        if code in ACTIONS:
            return Verdict(Outcome.REJECTED, reason=explain(code, reason), code=code, alert=True)
        if exc.http_status >= 500 or code in (1, 2, 131000, 131016):
            return Verdict(Outcome.TRANSIENT, reason=reason, code=code)
        return Verdict(Outcome.REJECTED, reason=reason, code=code)
    if isinstance(exc, httpx.TransportError):
        return Verdict(Outcome.TRANSIENT, reason=type(exc).__name__)
    return None
