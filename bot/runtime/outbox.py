"""The one delivery policy for every outgoing call, on every channel.

Each call names what it is for (a Purpose); the channel's classifier says what an error means (an Outcome).
The rules, the same for answers, staff prompts, cards, relays, notices, progress edits and broadcasts:

- RATE_LIMITED (Telegram 429 retry_after, WhatsApp 130429/131056): that chat waits as long as asked, then the call
  is retried; other calls to the chat wait too.
- TRANSIENT (5xx, timeouts, network errors): retried with exponential backoff, also for sends, because a
  duplicate answer is better than silence. A typing indicator is never retried.
- NOT_MODIFIED: an edit that changes nothing is a success.
- BLOCKED (the user blocked the bot or is gone): the on_blocked hook runs once (inactive, unsubscribed, staff told),
  then RecipientBlocked is raised. Never retried.
- REJECTED and OUTSIDE_WINDOW: the channel refused this content; Undeliverable is raised at once, never retried.
  A refusal that is the business's own problem (WhatsApp billing, a paused template, an expired token) is logged
  as an error for the operators (Verdict.alert), not as a warning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Awaitable, Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Outcome(str, Enum):
    SENT = "sent"
    NOT_MODIFIED = "not_modified"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    BLOCKED = "blocked"
    REJECTED = "rejected"
    OUTSIDE_WINDOW = "outside_window"


class Purpose(str, Enum):
    """What an outgoing call is for: it decides who is told on failure, not how it is retried."""

    ANSWER = "answer"              # a reply to a user
    ACK = "ack"                    # answering a button press
    TYPING = "typing"              # a courtesy indicator
    NOTICE = "notice"              # a message to the user the bot starts (release, handoff)
    RELAY_TO_USER = "relay_to_user"
    RELAY_TO_STAFF = "relay_to_staff"
    STAFF = "staff"                # prompts, replies and notes in the staff chat
    CARD = "card"                  # the context card of a user's topic
    PROGRESS = "progress"          # a broadcast's progress message
    BROADCAST = "broadcast"
    REMINDER = "reminder"          # a deadline reminder the scheduler sends
    LOOKUP = "lookup"              # reads: membership, chat info, files
    SETUP = "setup"                # command menus, webhook registration

    @property
    def to_user(self) -> bool:
        return self in (Purpose.ANSWER, Purpose.NOTICE, Purpose.RELAY_TO_USER, Purpose.BROADCAST, Purpose.TYPING,
                        Purpose.REMINDER)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    retry_after: float | None = None
    reason: str = ""
    whole_channel: bool = False      # a limit of the whole channel (WhatsApp throughput), not of one chat
    code: int | None = None          # the channel's own error code (WhatsApp 131042, ...), kept for the records
    alert: bool = False              # the operators must act (billing, templates, token): logged as an error


class Undeliverable(Exception):
    """The call could not be made; the reason has been logged once."""

    def __init__(self, outcome: Outcome, reason: str, code: int | None = None):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.code = code


class RecipientBlocked(Undeliverable):
    """The user blocked the bot or no longer exists."""


Classifier = Callable[[BaseException], "Verdict | None"]
BlockedHook = Callable[[str, str], Awaitable[None]]


@dataclass(frozen=True)
class RetryRules:
    transient_attempts: int = 6        # first try plus five retries: about 15 s of backoff in all
    rate_limited_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 8.0


class Outbox:
    def __init__(self, rules: RetryRules = RetryRules(), *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.rules = rules
        self._sleep = sleep
        self._clock = clock
        self._classifiers: dict[str, Classifier] = {}
        self._on_blocked: BlockedHook | None = None
        self._held: dict[tuple[str, str], float] = {}
        self.rate_limit_listeners: list[Callable[[str, float], None]] = []

    def register(self, channel: str, classify: Classifier) -> None:
        self._classifiers[channel] = classify

    def on_blocked(self, hook: BlockedHook) -> None:
        self._on_blocked = hook

    async def deliver(self, purpose: Purpose, channel: str, chat: str | int | None,
                      call: Callable[[], Awaitable[T]]) -> T | None:
        """Make one outgoing call under the policy above; None for an edit that changed nothing."""
        classify = self._classifiers[channel]
        key = (channel, str(chat)) if chat is not None else None
        transient = rate_limited = 0
        while True:
            await self._wait_if_held((channel, "*"))
            await self._wait_if_held(key)
            try:
                result = await call()
            except Exception as exc:  # noqa: BLE001 - the classifier decides; unknown errors are re-raised
                verdict = classify(exc)
                if verdict is None:
                    raise
            else:
                return result
            if verdict.outcome is Outcome.NOT_MODIFIED:
                return None
            if verdict.outcome is Outcome.RATE_LIMITED:
                rate_limited += 1
                wait = verdict.retry_after if verdict.retry_after is not None else 1.0
                if rate_limited >= self.rules.rate_limited_attempts:
                    log.error("%s to %s/%s: still rate limited after %d tries", purpose.value, channel, chat,
                              rate_limited)
                    raise Undeliverable(verdict.outcome, verdict.reason, verdict.code)
                log.warning("%s to %s/%s: rate limited, waiting %.1f s", purpose.value, channel, chat, wait)
                for listener in self.rate_limit_listeners:
                    listener(channel, wait)
                hold = (channel, "*") if verdict.whole_channel else key
                if hold is not None:
                    self._held[hold] = max(self._held.get(hold, 0.0), self._clock() + wait)
                else:
                    await self._sleep(wait)
                continue
            if verdict.outcome is Outcome.TRANSIENT:
                transient += 1
                if purpose is Purpose.TYPING or transient >= self.rules.transient_attempts:
                    if purpose is not Purpose.TYPING:
                        log.error("%s to %s/%s failed %d times: %s", purpose.value, channel, chat, transient,
                                  verdict.reason)
                    raise Undeliverable(verdict.outcome, verdict.reason, verdict.code)
                delay = min(self.rules.max_delay, self.rules.base_delay * 2 ** (transient - 1))
                log.warning("%s to %s/%s failed (%s); retry %d in %.1f s", purpose.value, channel, chat,
                            verdict.reason, transient, delay)
                await self._sleep(delay)
                continue
            if verdict.outcome is Outcome.BLOCKED:
                log.info("%s to %s/%s: recipient unreachable (%s)", purpose.value, channel, chat, verdict.reason)
                if purpose.to_user and chat is not None and self._on_blocked is not None:
                    await self._on_blocked(channel, str(chat))
                raise RecipientBlocked(verdict.outcome, verdict.reason, verdict.code)
            if verdict.alert:
                log.error("%s to %s/%s refused, operators must act: %s", purpose.value, channel, chat, verdict.reason)
            else:
                log.warning("%s to %s/%s refused: %s", purpose.value, channel, chat, verdict.reason)
            raise Undeliverable(verdict.outcome, verdict.reason, verdict.code)

    async def _wait_if_held(self, key: tuple[str, str] | None) -> None:
        if key is None:
            return
        until = self._held.get(key)
        while until is not None:
            wait = until - self._clock()
            if wait <= 0:
                if self._held.get(key) == until:
                    del self._held[key]
                return
            await self._sleep(wait)
            until = self._held.get(key)

    async def quietly(self, purpose: Purpose, channel: str, chat: str | int | None,
                      call: Callable[[], Awaitable[T]]) -> T | None:
        """deliver(), for calls whose failure the caller can do nothing about (it is logged already)."""
        try:
            return await self.deliver(purpose, channel, chat, call)
        except Undeliverable:
            return None
