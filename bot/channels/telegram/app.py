"""The python-telegram-bot side of the bot: the Application, its handlers, and updates in and out of it.

Updates reach PTB only from the durable inbox (bot/runtime/inbox.py): the Updater is never used, so nothing is
confirmed to Telegram before it is stored. Every outgoing call goes through the outbox; AIORateLimiter (the
library's own throttle) keeps sends under Telegram's limits (30/s overall, 20/min per group).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from urllib.parse import urlparse

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, Application, ContextTypes, Defaults

from bot.runtime.config import ConfigError, Settings
from bot.runtime.inbox import Inbox
from bot.runtime.outbox import Outbox, Purpose
from bot.runtime.ports import StoppedWhileStarting
from bot.storage import InboxItem
from bot.runtime.web import WebServer
from bot.channels.telegram import staff_handlers, user_handlers
from bot.channels.telegram.channel import CHANNEL
from bot.channels.telegram.classify import classify
from bot.channels.telegram.context import BotServices
from bot.conversation.turn import COMMANDS
from bot.channels.telegram.inbound import ALLOWED_UPDATES, Heartbeat, Poller, webhook_handler

log = logging.getLogger(__name__)
# httpx writes a request's headers and body separately; without TCP_NODELAY, Nagle's algorithm holds the body
# until the server's delayed ACK (~40 ms), so every API call would wait on the network stack, not on Telegram.
SOCKET_OPTIONS = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
CONNECTION_POOL = 64
# The command menu per language, from the front door's one table (bot/conversation/turn.py).
MENU = {language: tuple(command.slash[i] for command in COMMANDS) for i, language in enumerate(("es", "en"))}
TEXT_KEY = {name: f"command.{command.name}" for command in COMMANDS for name in command.slash}
# Only calls that post or change messages count against Telegram's flood limits; reads (getChatMember) do not.
LIMITED_PREFIXES = ("send", "copy", "forward", "edit")


class SendRateLimiter(AIORateLimiter):
    """AIORateLimiter for sending calls only; it never retries itself (max_retries=0): the outbox does."""

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if not endpoint.startswith(LIMITED_PREFIXES) or endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


class HandlingFailed(Exception):
    """A handler raised while processing an update; the inbox marks the update failed."""


def file_base_url(base_url: str) -> str:
    """python-telegram-bot needs the file URL too; for ".../bot" it is ".../file/bot"."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def build_application(settings: Settings, *, overall_rate: float = 30, group_rate_per_minute: float = 20
                      ) -> Application:
    assert settings.telegram_bot_token
    builder = (Application.builder().token(settings.telegram_bot_token)
               .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
               .rate_limiter(SendRateLimiter(overall_max_rate=overall_rate, group_max_rate=group_rate_per_minute,
                                             max_retries=0))
               .socket_options(SOCKET_OPTIONS).get_updates_socket_options(SOCKET_OPTIONS)
               .connection_pool_size(CONNECTION_POOL).pool_timeout(10)
               .updater(None))
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url).base_file_url(
            file_base_url(settings.telegram_api_base_url))
    return builder.build()


class TelegramAdapter:
    """One Telegram bot: its PTB Application, fed from the inbox, with polling or a webhook route."""

    def __init__(self, settings: Settings, outbox: Outbox, inbox: Inbox, *, overall_rate: float = 30,
                 group_rate_per_minute: float = 20, heartbeat: Heartbeat | None = None):
        self.settings = settings
        self.heartbeat = heartbeat
        self.outbox = outbox
        self.inbox = inbox
        self.application = build_application(settings, overall_rate=overall_rate,
                                             group_rate_per_minute=group_rate_per_minute)
        self.bot = self.application.bot
        self.poller: Poller | None = None
        self._failures: dict[int, BaseException] = {}
        outbox.register(CHANNEL, classify)
        inbox.handle(CHANNEL, self.handle)

    async def initialize(self, stop: asyncio.Event | None = None) -> None:
        """getMe with the token: refused -> ConfigError at once; unreachable -> retried with backoff."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.application.initialize()
                return
            except InvalidToken:
                raise ConfigError("TELEGRAM_BOT_TOKEN was refused by Telegram (401/404): "
                                  "copy the token again from @BotFather") from None
            except (TimedOut, NetworkError) as exc:
                delay = min(60.0, 2.0 * 2 ** min(attempt - 1, 5))
                log.warning("Telegram is unreachable (attempt %d: %s); retrying in %.0f s", attempt, exc, delay)
                if stop is not None:
                    try:
                        await asyncio.wait_for(stop.wait(), delay)
                        raise StoppedWhileStarting()
                    except asyncio.TimeoutError:
                        pass
                else:
                    await asyncio.sleep(delay)

    def register(self, services: BotServices) -> None:
        self.application.bot_data["services"] = services
        staff_handlers.register(self.application, self.settings.staff_chat_id)
        user_handlers.register(self.application)
        self.application.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A handler raised: remember it so the inbox marks the update failed (and logs it once)."""
        if isinstance(update, Update) and context.error is not None:
            self._failures[update.update_id] = context.error

    async def handle(self, item: InboxItem) -> None:
        """One stored update through PTB's handlers; raises if it cannot be parsed or a handler failed."""
        update = Update.de_json(item.payload, self.bot)
        await self.application.process_update(update)
        error = self._failures.pop(update.update_id, None)
        if error is not None:
            raise HandlingFailed(type(error).__name__) from error

    async def start(self, web: WebServer) -> None:
        await self.application.start()
        await self._register_commands()
        if self.settings.webhook_url:
            path = "/" + urlparse(self.settings.webhook_url).path.strip("/")
            assert self.settings.webhook_secret
            web.route("POST", path, webhook_handler(self.inbox, self.settings.webhook_secret))
            await self.outbox.deliver(Purpose.SETUP, CHANNEL, None, lambda: self.bot.set_webhook(
                url=self.settings.webhook_url, secret_token=self.settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False))
            log.info("Telegram: webhook mode")
        else:
            await self.outbox.deliver(Purpose.SETUP, CHANNEL, None,
                                      lambda: self.bot.delete_webhook(drop_pending_updates=False))
            self.poller = Poller(self.bot, self.inbox, self.heartbeat)
            await self.poller.start()
            log.info("Telegram: polling mode")

    async def _register_commands(self) -> None:
        """The command menu in both languages (Telegram picks it by the user's app language)."""
        texts = self.application.bot_data["services"].assistant.engine.texts
        for language, names in MENU.items():
            commands = [BotCommand(name, texts(language, TEXT_KEY[name])) for name in names]
            for code in (language, None) if language == "es" else (language,):
                await self.outbox.quietly(Purpose.SETUP, CHANNEL, None, lambda c=code, cs=commands:
                                          self.bot.set_my_commands(commands=cs, language_code=c))

    async def stop_receiving(self) -> None:
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None

    async def stop(self) -> None:
        await self.stop_receiving()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()


