"""Updates from Telegram into the durable inbox: a long-polling loop or the webhook route, nothing else.

Polling: each getUpdates batch is committed to the inbox before the next call's offset tells Telegram it arrived.
Webhook: a POST is committed before the 200. Either way the update is handled later, from the table.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import warnings
from typing import Awaitable, Callable

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, EndPointNotFound, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.runtime.inbox import Inbox
from bot.storage import Arrival
from bot.channels.telegram.channel import CHANNEL
from bot.channels.telegram.classify import seconds

log = logging.getLogger(__name__)
POLL_TIMEOUT = 30
# (state, detail): "running" after every answer from getUpdates, "stopped" when polling ends; the health check
# (bot/runtime/health.py) reads it from the database. `detail` names the last problem (never a secret).
Heartbeat = Callable[[str, "str | None"], Awaitable[None]]
ALLOWED_UPDATES = list(Update.ALL_TYPES)
# do_api_request is PTB's public door for raw JSON; it warns when a typed method exists. We need the raw JSON
# (an update PTB cannot parse must not break the batch), so that warning is expected here.
warnings.filterwarnings("ignore", message="Please use 'Bot.getUpdates'", category=PTBUserWarning)


def _id(value: object) -> str | None:
    return str(value["id"]) if isinstance(value, dict) and "id" in value else None


def arrival(raw: dict) -> Arrival:
    """The inbox row for one raw update: its key, and the chat and sender read from the JSON alone."""
    payload = next((v for k, v in raw.items() if k != "update_id" and isinstance(v, dict)), {})
    inner = payload.get("message")
    chat = _id(payload.get("chat")) or _id(inner.get("chat") if isinstance(inner, dict) else None)
    sender = _id(payload.get("from")) or _id(payload.get("user"))
    return Arrival(CHANNEL, str(raw.get("update_id")), chat or sender, sender, raw)


class Poller:
    """getUpdates in a loop; transient failures are retried with backoff, each logged once."""

    def __init__(self, bot: Bot, inbox: Inbox, heartbeat: Heartbeat | None = None):
        self.bot = bot
        self.inbox = inbox
        self.heartbeat = heartbeat
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await self._beat("running", None)
        self._task = asyncio.create_task(self._loop(), name="telegram-poller")

    async def stop(self) -> None:
        """Stop at once: updates fetched but not stored were not confirmed, so Telegram sends them again."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
            await self._beat("stopped", "the bot stopped")

    async def _beat(self, state: str, detail: str | None) -> None:
        if self.heartbeat is None:
            return
        try:
            await self.heartbeat(state, detail)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a missed heartbeat shows as stale; it must not stop polling
            log.warning("could not record the polling heartbeat", exc_info=True)

    async def _loop(self) -> None:
        offset: int | None = None
        failures = 0
        while True:
            try:
                raw = await self.bot.do_api_request(
                    "getUpdates", api_kwargs={"offset": offset, "timeout": POLL_TIMEOUT,
                                              "allowed_updates": ALLOWED_UPDATES},
                    read_timeout=POLL_TIMEOUT + 10)
            except (InvalidToken, EndPointNotFound):
                # A revoked token gets 401; PTB's do_api_request reports it as EndPointNotFound once the bot was
                # initialised (getUpdates exists, so for it that can only mean the token was refused).
                log.error("Telegram refused TELEGRAM_BOT_TOKEN; polling stopped")
                await self._beat("stopped", "Telegram refused TELEGRAM_BOT_TOKEN (revoked?): polling stopped")
                return
            except Conflict:
                failures += 1
                log.warning("another client is polling with this bot token (409); retrying in 5 s")
                await self._problem("another client is polling with this bot token (409)")
                await asyncio.sleep(5)
                continue
            except RetryAfter as exc:
                wait = seconds(exc.retry_after)
                log.warning("getUpdates is rate limited; waiting %.0f s", wait)
                await asyncio.sleep(wait)
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - timeouts, 5xx, a garbled answer: the loop must go on
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("getUpdates failed (%s); retry %d in %.1f s", type(exc).__name__ if not isinstance(
                    exc, (TimedOut, NetworkError)) else exc, failures, delay)
                await self._problem(f"getUpdates failed {failures} time(s) in a row ({type(exc).__name__})")
                await asyncio.sleep(delay)
                continue
            failures = 0
            await self._beat("running", None)
            updates = [u for u in raw or () if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
            if not updates:
                continue
            while True:
                try:
                    await self.inbox.receive([arrival(u) for u in updates])
                    break
                except Exception:  # noqa: BLE001 - not stored means not confirmed: keep trying
                    log.exception("could not store %d updates; retrying", len(updates))
                    await asyncio.sleep(1.0)
            offset = max(u["update_id"] for u in updates) + 1

    async def _problem(self, detail: str) -> None:
        """Note why getUpdates is failing, without refreshing the heartbeat (it goes stale if this lasts)."""
        if self.heartbeat is not None:
            try:
                await self.heartbeat("problem", detail)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - see _beat
                pass


def webhook_handler(inbox: Inbox, secret: str):
    """The webhook route: the secret header is checked in constant time; the update is stored before the 200."""
    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            raw = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400)
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=400)
        try:
            await inbox.receive([arrival(raw)])
        except Exception:  # noqa: BLE001 - Telegram delivers it again after a non-2xx answer
            log.exception("could not store a webhook update")
            return web.Response(status=500)
        return web.Response(status=200)
    return handle
