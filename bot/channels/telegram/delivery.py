"""Send replies to Telegram with the failure handling users expect.

RetryAfter: wait as long as Telegram asks, then retry. Timeouts and network errors: retried with backoff, but
only for idempotent calls (a timed-out sendMessage may have been delivered, and a duplicate is worse than a
loss the user can fix by asking again). Forbidden: the user blocked the bot; they are marked inactive.
BadRequest: logged with the chat, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from ...render import html_chunks
from ...replies import Button, Reply

log = logging.getLogger(__name__)
MAX_CALLBACK_BYTES = 64


class DeliveryFailed(Exception):
    """A message could not be delivered; the reason has been logged."""


class RecipientBlocked(DeliveryFailed):
    """The user blocked the bot (or deleted their account)."""


def seconds(value: float | int | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Inline keyboard for reply buttons: short labels two per row, long ones alone."""
    if not buttons:
        return None
    for button in buttons:
        if not 0 < len(button.action.encode()) <= MAX_CALLBACK_BYTES:
            raise ValueError(f"callback_data must be 1-64 bytes: {button.action!r}")
    rows: list[list[InlineKeyboardButton]] = []
    short = all(len(b.label) <= 22 for b in buttons)
    for button in buttons:
        item = InlineKeyboardButton(button.label, callback_data=button.action)
        if short and rows and len(rows[-1]) == 1:
            rows[-1].append(item)
        else:
            rows.append([item])
    return InlineKeyboardMarkup(rows)


class Delivery:
    def __init__(self, bot: Bot, *, on_blocked: Callable[[int], Awaitable[None]] | None = None,
                 max_attempts: int = 4, base_delay: float = 0.5):
        self.bot = bot
        self.on_blocked = on_blocked
        self.max_attempts = max_attempts
        self.base_delay = base_delay

    async def call(self, method: Callable[..., Awaitable[Any]], *, idempotent: bool, about: int | None = None,
                   **kwargs: Any) -> Any:
        """Call a Bot method with the retry policy above; `about` names the chat when kwargs do not."""
        chat_id = kwargs.get("chat_id", about)
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await method(**kwargs)
            except RetryAfter as exc:
                wait = seconds(exc.retry_after)
                log.warning("flood control on %s: waiting %.1f s (attempt %d)", method.__name__, wait, attempt)
                await asyncio.sleep(wait + 0.1)
            except Forbidden as exc:
                log.info("chat %s blocked the bot: %s", chat_id, exc.message)
                if chat_id is not None and self.on_blocked is not None:
                    await self.on_blocked(chat_id)
                raise RecipientBlocked(exc.message) from exc
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return None
                log.error("Telegram refused %s for chat %s: %s", method.__name__, chat_id, exc.message)
                raise DeliveryFailed(exc.message) from exc
            except (TimedOut, NetworkError) as exc:
                if not idempotent or attempt == self.max_attempts:
                    log.error("%s to chat %s failed: %s", method.__name__, chat_id, exc)
                    raise DeliveryFailed(str(exc)) from exc
                delay = self.base_delay * 2 ** (attempt - 1)
                log.warning("%s to chat %s failed (%s); retrying in %.1f s", method.__name__, chat_id, exc, delay)
                await asyncio.sleep(delay)
        raise DeliveryFailed(f"{method.__name__} still rate limited after {self.max_attempts} attempts")

    async def typing(self, chat_id: int) -> None:
        try:
            await self.call(self.bot.send_chat_action, idempotent=True, chat_id=chat_id,
                            action=ChatAction.TYPING)
        except DeliveryFailed:
            pass  # "typing…" is a courtesy; the answer itself will report a real problem

    @contextlib.asynccontextmanager
    async def typing_while(self, chat_id: int, *, after: float = 0.25, every: float = 4.5) -> AsyncIterator[None]:
        """Show "typing…" while the work inside takes longer than `after` seconds, renewed every `every`.

        An answer ready in milliseconds needs no indicator (the user would never see it), and each
        sendChatAction is a request that counts against Telegram's limits.
        """
        async def keep_typing() -> None:
            await asyncio.sleep(after)
            while True:
                await self.typing(chat_id)
                await asyncio.sleep(every)  # Telegram shows the action for about five seconds

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def send(self, chat_id: int, reply: Reply, *, thread_id: int | None = None) -> list[Message]:
        """Send a reply as one or more HTML messages under 4,096 characters; buttons go on the last one."""
        chunks = html_chunks(reply)
        sent = []
        for i, chunk in enumerate(chunks):
            markup = keyboard(reply.buttons) if i == len(chunks) - 1 else None
            extra = {"message_thread_id": thread_id} if thread_id else {}
            sent.append(await self.call(self.bot.send_message, idempotent=False, chat_id=chat_id, text=chunk,
                                        reply_markup=markup, **extra))
        return sent

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> bool:
        """Replace a message with a reply in place; False when it does not fit one message (send instead)."""
        chunks = html_chunks(reply)
        if len(chunks) != 1:
            return False
        await self.call(self.bot.edit_message_text, idempotent=True, chat_id=chat_id, message_id=message_id,
                        text=chunks[0], reply_markup=keyboard(reply.buttons))
        return True
