"""Build and run the Telegram bot: polling without WEBHOOK_URL, a secret-checked webhook with it."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from urllib.parse import urlparse

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, Defaults

from ...assistant import Assistant
from ...config import Settings
from ...engine import Engine
from ...storage import BroadcastRepository, HandoffRepository, Repository
from ...subscriptions import Subscriptions
from . import handlers, staff, takeover_handlers
from .broadcasting import Broadcaster
from .delivery import Delivery
from .handlers import CHANNEL, Services
from .staff import DraftOwners, StaffGate
from .takeover import Takeover
from .ordering import PerChatUpdateProcessor

log = logging.getLogger(__name__)
# Updates handled at once (across chats; one chat stays in order). Enough to hide Telegram's ~100 ms round trips;
# far more only adds httpx connection-pool overhead (measured with bench/bench_telegram.py).
MAX_CONCURRENT_UPDATES = 32
# httpx writes a request's headers and body separately; without TCP_NODELAY, Nagle's algorithm holds the body
# until the server's delayed ACK (~40 ms), so every API call would wait on the network stack, not on Telegram.
SOCKET_OPTIONS = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
COMMANDS = {
    "es": ("start", "menu", "ayuda", "idioma", "contacto", "asesor", "suscribirme", "cancelar_suscripcion", "olvidar"),
    "en": ("start", "menu", "help", "language", "contact", "human", "subscribe", "unsubscribe", "forget"),
}
COMMAND_TEXT_KEYS = {"start": "command.start", "menu": "command.menu", "ayuda": "command.help",
                     "help": "command.help", "idioma": "command.language", "language": "command.language",
                     "contacto": "command.contact", "contact": "command.contact", "olvidar": "command.forget",
                     "forget": "command.forget", "suscribirme": "command.subscribe", "subscribe": "command.subscribe",
                     "cancelar_suscripcion": "command.unsubscribe", "unsubscribe": "command.unsubscribe",
                     "asesor": "command.human", "human": "command.human"}


def file_base_url(base_url: str) -> str:
    """python-telegram-bot needs the file URL too; for ".../bot" it is ".../file/bot"."""
    return base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url


def build_application(settings: Settings, engine: Engine, repo: Repository) -> Application:
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (Application.builder().token(settings.telegram_bot_token)
               .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
               .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
               .socket_options(SOCKET_OPTIONS).get_updates_socket_options(SOCKET_OPTIONS)
               .get_updates_read_timeout(40))
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url).base_file_url(
            file_base_url(settings.telegram_api_base_url))
    application = builder.build()

    async def mark_blocked(chat_id: int) -> None:
        user = await repo.find_user(channel=CHANNEL, external_id=str(chat_id))
        if user is not None:
            await repo.set_active(user_id=user.id, active=False)

    delivery = Delivery(application.bot, on_blocked=mark_blocked)
    assistant = Assistant(engine, repo)
    broadcasts = BroadcastRepository(repo)
    application.bot_data.update(
        services=Services(settings, assistant, delivery),
        broadcasts=broadcasts,
        subscriptions=Subscriptions(assistant, broadcasts),
        broadcaster=Broadcaster(application.bot, broadcasts, engine.texts),
        staff_gate=StaffGate(settings.staff_chat_id, settings.admin_user_ids),
        draft_owners=DraftOwners(),
        takeover=Takeover(application.bot, assistant, HandoffRepository(repo), settings.staff_chat_id,
                          settings.handoff_release_minutes),
    )
    takeover_handlers.register(application, settings.staff_chat_id)
    staff.register(application)
    handlers.register(application)
    return application


async def register_commands(application: Application, engine: Engine) -> None:
    """The command menu in both languages (Telegram picks it by the user's app language)."""
    delivery: Delivery = application.bot_data["services"].delivery
    for language, names in COMMANDS.items():
        commands = [BotCommand(name, engine.texts(language, COMMAND_TEXT_KEYS[name])) for name in names]
        for code in (language, None) if language == "es" else (language,):
            try:
                await delivery.call(application.bot.set_my_commands, idempotent=True, commands=commands,
                                    language_code=code)
            except Exception:  # noqa: BLE001 - a missing menu must not stop the bot
                log.warning("could not register the %s command menu", language, exc_info=True)


class TelegramBot:
    """The bot's lifecycle, usable from `python -m bot` and from tests (start / stop on a running loop)."""

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.settings = settings
        self.engine = engine or Engine.from_directory(settings.knowledge_dir)
        self.repo: Repository | None = None
        self.application: Application | None = None

    async def start(self) -> None:
        self.repo = await Repository.open(self.settings.database_path)
        self.application = build_application(self.settings, self.engine, self.repo)
        await self.application.initialize()
        await register_commands(self.application, self.engine)
        updater = self.application.updater
        assert updater is not None
        if self.settings.webhook_url:
            path = urlparse(self.settings.webhook_url).path.strip("/")
            await updater.start_webhook(listen="0.0.0.0", port=self.settings.port, url_path=path,
                                        webhook_url=self.settings.webhook_url,
                                        secret_token=self.settings.webhook_secret,
                                        allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
            log.info("webhook mode on port %s", self.settings.port)
        else:
            await updater.start_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False,
                                        timeout=30, bootstrap_retries=-1, error_callback=self._polling_error)
            log.info("polling mode")
        await self.application.start()
        await self.application.bot_data["draft_owners"].load(self.application.bot_data["broadcasts"])
        await self.application.bot_data["broadcaster"].start()  # resumes a broadcast a crash interrupted
        await self.application.bot_data["takeover"].start()

    @staticmethod
    def _polling_error(error: TelegramError) -> None:
        log.warning("getUpdates failed: %s", error)

    async def stop(self) -> None:
        if self.application is not None:
            await self.application.bot_data["broadcaster"].stop()
            await self.application.bot_data["takeover"].stop()
            if self.application.updater is not None and self.application.updater.running:
                await self.application.updater.stop()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
            self.application = None
        if self.repo is not None:
            await self.repo.close()
            self.repo = None


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly (updates already fetched are processed first)."""
    bot = TelegramBot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await bot.start()
    try:
        await stop.wait()
    finally:
        await bot.stop()


def run_telegram(settings: Settings) -> int:
    asyncio.run(serve(settings))
    return 0
