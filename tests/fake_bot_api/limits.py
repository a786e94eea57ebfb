"""Optional Telegram flood limits: sliding windows per bot, per private chat and per group."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

# Methods that deliver a message and therefore count towards Telegram's flood limits.
COUNTED_EXTRA = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


def is_sending_method(method: str) -> bool:
    """send* (except chat actions) and copy/forward count as messages."""
    return (method.startswith("send") and method != "sendChatAction") or method in COUNTED_EXTRA


@dataclass
class FloodLimiter:
    """Telegram's documented limits; `time_scale` shrinks the windows for fast tests.

    retry_after is reported in *Telegram* seconds (window / time_scale units, at least 1), so a
    bot that honours it always waits long enough in real time.
    """

    global_rate: int = 30
    per_chat_rate: int = 1
    group_rate_per_minute: int | None = 20
    time_scale: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _global: deque[float] = field(default_factory=deque, repr=False)
    _per_chat: dict[int | str, deque[float]] = field(default_factory=lambda: defaultdict(deque), repr=False)

    def check(self, method: str, chat_id: int | str | None, count: int = 1) -> int | None:
        """Record `count` messages and return None, or return retry_after without recording."""
        if not is_sending_method(method):
            return None
        now = self.clock()
        waits = [self._wait(self._global, now, 1.0, self.global_rate, count)]
        if chat_id is not None:
            private = isinstance(chat_id, int) and chat_id > 0
            if private:
                waits.append(self._wait(self._per_chat[chat_id], now, 1.0, self.per_chat_rate, count))
            elif self.group_rate_per_minute is not None:
                waits.append(self._wait(self._per_chat[chat_id], now, 60.0, self.group_rate_per_minute, count))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait / self.time_scale - 1e-9))
        for _ in range(count):
            self._global.append(now)
            if chat_id is not None:
                self._per_chat[chat_id].append(now)
        return None

    def _wait(self, window: deque[float], now: float, seconds: float, rate: int, count: int) -> float:
        """Real seconds until `count` more messages fit into the window (0 if they fit now)."""
        span = seconds * self.time_scale
        while window and window[0] <= now - span:
            window.popleft()
        overflow = len(window) + count - rate
        if overflow <= 0:
            return 0.0
        if overflow > len(window):
            return span  # more than the whole window at once: never fits, say "one window"
        return window[overflow - 1] + span - now

    def reset(self) -> None:
        """Forget all history (e.g. between test phases)."""
        self._global.clear()
        self._per_chat.clear()
