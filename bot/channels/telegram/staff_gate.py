"""Who is staff, now: ADMIN_USER_IDS, or a member of STAFF_CHAT_ID as Telegram reports it.

`restricted` counts only with is_member true (a restricted user who left is no longer a member). A lookup that
fails is retried by the outbox; if Telegram still does not answer, the answer is "unknown", never "no" and never
cached, and the caller asks the person to try again.
"""

from __future__ import annotations

import time
from enum import Enum

from telegram import ChatMember

from bot.runtime.outbox import Outcome, Purpose, Undeliverable
from bot.channels.telegram.channel import TelegramUserChannel

MEMBER_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER}
CACHE_SECONDS = 60.0


class Membership(str, Enum):
    STAFF = "staff"
    NOT_STAFF = "not_staff"
    UNKNOWN = "unknown"


def is_member(member: ChatMember) -> bool:
    if member.status in MEMBER_STATUSES:
        return True
    return member.status == ChatMember.RESTRICTED and bool(getattr(member, "is_member", False))


class StaffGate:
    def __init__(self, channel: TelegramUserChannel, staff_chat_id: int | None, admin_ids: frozenset[int]):
        self.channel = channel
        self.staff_chat_id = staff_chat_id
        self.admin_ids = admin_ids
        self._cache: dict[int, tuple[bool, float]] = {}

    async def check(self, user_id: int | None) -> Membership:
        if user_id is None:
            return Membership.NOT_STAFF
        if user_id in self.admin_ids:
            return Membership.STAFF
        if self.staff_chat_id is None:
            return Membership.NOT_STAFF
        cached = self._cache.get(user_id)
        if cached and time.monotonic() - cached[1] < CACHE_SECONDS:
            return Membership.STAFF if cached[0] else Membership.NOT_STAFF
        try:
            member = await self.channel.call(Purpose.LOOKUP, self.staff_chat_id, self.channel.bot.get_chat_member,
                                             chat_id=self.staff_chat_id, user_id=user_id)
        except Undeliverable as exc:
            if exc.outcome in (Outcome.TRANSIENT, Outcome.RATE_LIMITED):
                return Membership.UNKNOWN  # Telegram did not answer: not a "no"
            member = None                  # a definite refusal (user or chat not found): not staff
        allowed = member is not None and is_member(member)
        self._cache[user_id] = (allowed, time.monotonic())
        return Membership.STAFF if allowed else Membership.NOT_STAFF

    def forget(self, user_id: int) -> None:
        self._cache.pop(user_id, None)
