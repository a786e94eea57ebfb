"""Fault injection: scripted Telegram errors and slow responses for the next matching calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

from .errors import ApiError

BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"


def default_description(status: int, retry_after: int | None) -> str:
    """Telegram's usual wording per status, so tests only need the status code."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 400:
        return "Bad Request"
    if status == 403:
        return "Forbidden"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def _method_matches(pattern: str | None, method: str) -> bool:
    return pattern in (None, "*") or pattern.lower() == method.lower()


@dataclass
class Fault:
    """An error answered to matching calls; times=None means until removed."""

    method: str | None
    status: int
    description: str
    retry_after: int | None = None
    times: int | None = 1
    chat_id: int | str | None = None
    hits: int = 0

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        """Method (or any) and, when set, the call's chat."""
        if not _method_matches(self.method, method):
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        """The ApiError this fault produces."""
        return ApiError(self.status, self.description, kind="injected", retry_after=self.retry_after)


@dataclass
class Delay:
    """Sleep before answering matching calls (to provoke client timeouts)."""

    method: str | None
    seconds: float
    times: int | None = 1


@dataclass
class FaultInjector:
    """Keeps scripted faults/delays in insertion order; the first match wins."""

    faults: list[Fault] = field(default_factory=list)
    delays: list[Delay] = field(default_factory=list)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, chat_id: int | str | None) -> Fault | None:
        """Consume one use of the first matching fault."""
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def take_delay(self, method: str) -> float:
        """Consume one use of the first matching delay; 0 when none."""
        for delay in self.delays:
            if _method_matches(delay.method, method):
                if delay.times is not None:
                    delay.times -= 1
                    if delay.times <= 0:
                        self.delays.remove(delay)
                return delay.seconds
        return 0.0

    def remove_chat(self, chat_id: int | str) -> None:
        """Drop every fault scoped to one chat (unblock)."""
        self.faults = [f for f in self.faults if f.chat_id != chat_id]

    def clear(self) -> None:
        self.faults.clear()
        self.delays.clear()
