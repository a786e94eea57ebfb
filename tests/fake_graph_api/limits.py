"""The 24-hour customer-service window and the two rate limits (pair rate 131056, throughput 130429)."""

from __future__ import annotations

import time
from collections import defaultdict, deque

WINDOW_SECONDS = 24 * 3600.0


def window_open(last_inbound: float | None, now: float) -> bool:
    """Free-form messages are allowed for 24 hours after the user's last message."""
    return last_inbound is not None and now - last_inbound < WINDOW_SECONDS


class SlidingLimit:
    """At most `count` events per `seconds` (real monotonic time × time_scale) per key."""

    def __init__(self, count: int, seconds: float, time_scale: float = 1.0) -> None:
        self.count = count
        self.seconds = seconds * time_scale
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def allows(self, key: str) -> bool:
        """Whether one more event fits now (nothing is recorded)."""
        now = time.monotonic()
        events = self._events[key]
        while events and now - events[0] >= self.seconds:
            events.popleft()
        return len(events) < self.count

    def record(self, key: str) -> None:
        self._events[key].append(time.monotonic())

    def reset(self) -> None:
        self._events.clear()
