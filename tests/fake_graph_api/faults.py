"""Fault injection: scripted Graph errors, slow answers and asynchronous failures for matching calls."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import GraphError


def _matches(pattern: str | None, endpoint: str, kind: str) -> bool:
    """None or "*" match all; otherwise an endpoint (messages, media_upload, ...) or a kind (text, template, ...)."""
    return pattern in (None, "*") or pattern in (endpoint, kind)


@dataclass
class Fault:
    """An error for matching calls; times=None means until clear_faults(); via_status → 200 then a failed status."""

    target: str | None
    status: int
    code: int
    details: str | None = None
    times: int | None = 1
    recipient: str | None = None
    via_status: bool = False
    hits: int = 0

    def matches(self, endpoint: str, kind: str, recipient: str | None) -> bool:
        if not _matches(self.target, endpoint, kind):
            return False
        return self.recipient is None or self.recipient == recipient

    def error(self) -> GraphError:
        type_ = "OAuthException" if self.status < 500 else "GraphMethodException"
        return GraphError(self.status, self.code, self.details, kind="injected", type_=type_)


@dataclass
class Delay:
    target: str | None
    seconds: float
    times: int | None = 1


@dataclass
class FaultInjector:
    """Faults and delays in insertion order; the first match wins and loses one use."""

    faults: list[Fault] = field(default_factory=list)
    delays: list[Delay] = field(default_factory=list)

    def take_fault(self, endpoint: str, kind: str, recipient: str | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(endpoint, kind, recipient):
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def take_delay(self, endpoint: str, kind: str) -> float:
        for delay in self.delays:
            if _matches(delay.target, endpoint, kind):
                if delay.times is not None:
                    delay.times -= 1
                    if delay.times <= 0:
                        self.delays.remove(delay)
                return delay.seconds
        return 0.0

    def clear(self) -> None:
        self.faults.clear()
        self.delays.clear()
