"""The composition root: opens the database, builds the engine and every service, starts each configured channel.

Start order: instance lock -> database -> services -> channels (token checked) -> inbox, broadcaster, handoff.
Stop order is the reverse; whatever failed to start is closed, so a bad setting never leaves a hung process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from dataclasses import dataclass

from aiohttp import web

from bot.conversation.assistant import Assistant
from bot.broadcasts.drafts import Drafts
from bot.broadcasts.legacy import convert_stored_texts
from bot.broadcasts.sender import Broadcaster
from bot.clock import Clock, SystemClock
from bot.runtime.health import POLLING, HealthRules, HeartbeatWriter, check, expects_polling
from bot.runtime.config import Settings
from bot.conversation.turn import FrontDoor
from bot.deadlines.service import Deadlines
from bot.answers.engine import Engine
from bot.answers.examples import StaffExamples
from bot.handoff.service import Handoff
from bot.runtime.inbox import Inbox
from bot.runtime.instance import InstanceLock
from bot.runtime.outbox import Outbox, RetryRules
from bot.runtime.ports import StoppedWhileStarting
from bot.deadlines.reminders import ReminderSender
from bot.storage import Storage, utc_iso
from bot.conversation.subscriptions import Subscriptions
from bot.runtime.web import WebServer

log = logging.getLogger(__name__)
MAINTENANCE_EVERY = 3600.0      # seconds between retention sweeps
INBOX_KEEP_DAYS = 7             # handled updates are remembered this long, so a repeated delivery is recognised


@dataclass(frozen=True)
class Tuning:
    """Knobs tests turn (never environment variables): smaller windows for a fake server's scaled clock."""

    retry: RetryRules = RetryRules()
    overall_rate: float = 30              # Telegram: about 30 messages a second in all; 0 turns the throttle off
    group_rate_per_minute: float = 20
    broadcast_window: int = 8
    reminder_every: float = 30.0          # seconds between passes of the reminder scheduler


class App:
    """The bot's lifecycle, usable from `python -m bot` and from tests (start / stop on a running loop)."""

    def __init__(self, settings: Settings, engine: Engine | None = None, tuning: Tuning = Tuning(),
                 clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = engine or Engine.from_directory(settings.knowledge_dir, data_dir=settings.data_dir)
        self.tuning = tuning
        self.lock = InstanceLock(settings.database_path)
        self.storage: Storage | None = None
        self.telegram = None
        self.graph = None
        self.whatsapp_handlers = None
        self.web: WebServer | None = None
        self._maintenance: asyncio.Task | None = None

    async def start(self, stop: asyncio.Event | None = None) -> bool:
        """Start everything; False if stopped while waiting as a standby. Raises ConfigError/StorageError."""
        if not await self.lock.acquire(stop=stop):
            return False
        try:
            await self._start(stop)
        except StoppedWhileStarting:
            await self.stop()
            return False
        except BaseException:
            await self.stop()
            raise
        return True

    async def _start(self, stop: asyncio.Event | None) -> None:
        settings = self.settings
        self.storage = storage = await Storage.open(settings.database_path)
        await convert_stored_texts(storage.broadcasts)   # texts stored as Telegram HTML by an older version
        # the questions staff attached live in the database: the engine learns them now (and on /reload, attach)
        self.examples = StaffExamples(self.engine, storage.attached_examples, settings.knowledge_dir)
        await self.examples.start()
        self.outbox = Outbox(self.tuning.retry)
        self.inbox = Inbox(storage.inbox)
        self.deadlines = Deadlines(self.engine, storage.reminders, self.clock)
        self.assistant = Assistant(self.engine, storage.users, self.deadlines)
        self.subscriptions = Subscriptions(self.assistant, storage.subscriptions)
        self.channels: dict = {}
        self.desk = None
        self.web = WebServer(settings.port)
        if settings.telegram_bot_token:
            from bot.channels.telegram.app import TelegramAdapter
            from bot.channels.telegram.channel import TelegramUserChannel
            from bot.channels.telegram.context import BotServices
            from bot.channels.telegram.desk import TelegramStaffDesk
            from bot.channels.telegram.staff_gate import StaffGate
            self.telegram = TelegramAdapter(settings, self.outbox, self.inbox, overall_rate=self.tuning.overall_rate,
                                            group_rate_per_minute=self.tuning.group_rate_per_minute,
                                            heartbeat=HeartbeatWriter(storage.health, POLLING, self.clock.now))
            await self.telegram.initialize(stop)
            channel = TelegramUserChannel(self.telegram.bot, self.outbox, self.engine.texts)
            self.channels[channel.name] = channel
            if settings.staff_chat_id is not None:
                self.desk = TelegramStaffDesk(channel, settings.staff_chat_id)
        if settings.whatsapp is not None:
            self._whatsapp_channel(settings, storage)
        self.handoff = Handoff(engine=self.engine, users=storage.users, handoffs=storage.handoff,
                               subscriptions=storage.subscriptions, channels=self.channels, desk=self.desk,
                               release_minutes=settings.handoff_release_minutes, clock=self.clock.now,
                               deadlines=self.deadlines)
        self.broadcaster = Broadcaster(storage.broadcasts, self.channels, self.desk, self.engine.texts, self.outbox,
                                       window=self.tuning.broadcast_window)
        self.drafts = (Drafts(storage.broadcasts, self.subscriptions, self.desk, self.engine.texts, self.broadcaster,
                              self.channels)
                       if self.desk is not None else None)
        self.front = FrontDoor(self.assistant, self.subscriptions, self.handoff, storage.users)
        self.reminders = ReminderSender(storage.reminders, self.engine, self.channels, self.clock,
                                        every=self.tuning.reminder_every, hours=settings.reminder_hours)
        self.outbox.on_blocked(self._blocked)
        if self.telegram is not None:
            self.telegram.register(BotServices(settings, storage, self.assistant, self.front, self.subscriptions,
                                               self.handoff,
                                               self.broadcaster, self.drafts, self.channels["telegram"],
                                               StaffGate(self.channels["telegram"], settings.staff_chat_id,
                                                         settings.admin_user_ids), self.examples))
            await self.telegram.start(self.web)
        if settings.whatsapp is not None:
            self._whatsapp_inbound(settings, storage)
        if self.web.has_routes:  # a web server runs only for webhooks; /healthz rides along
            self.web.route("GET", "/healthz", self._healthz)
            await self.web.start()
        if self.drafts is not None:
            await self.drafts.load()
        await self.inbox.start()
        await self.broadcaster.start()   # resumes a broadcast a crash interrupted
        await self.handoff.start()
        await self.reminders.start()     # sends what fell due while the bot was down, if still useful
        self._maintenance = asyncio.create_task(self._maintain(), name="maintenance")

    def _whatsapp_channel(self, settings: Settings, storage: Storage) -> None:
        """The WhatsApp channel out: the Graph API client and the user channel (files from the desk for relays)."""
        from bot.channels.whatsapp.channel import WhatsAppUserChannel
        from bot.channels.whatsapp.classify import classify
        from bot.channels.whatsapp.client import GraphClient
        assert settings.whatsapp is not None
        self.graph = GraphClient(settings.whatsapp)
        self.outbox.register("whatsapp", classify)
        storage.deliveries.on_failed = self._failed_later
        fetch = self.desk.fetch if self.desk is not None else None
        channel = WhatsAppUserChannel(self.graph, self.outbox, storage.deliveries, self.engine.texts,
                                      settings.whatsapp, fetch_file=fetch, clock=self.clock.now)
        self.channels[channel.name] = channel

    def _whatsapp_inbound(self, settings: Settings, storage: Storage) -> None:
        """WhatsApp updates in: the /whatsapp webhook route into the inbox, and the inbox into the services."""
        from bot.channels.whatsapp.handlers import WhatsAppHandlers
        from bot.channels.whatsapp.webhook import PATH, routes
        assert settings.whatsapp is not None and self.web is not None
        verify, receive = routes(settings.whatsapp, self.inbox)
        self.web.route("GET", PATH, verify)
        self.web.route("POST", PATH, receive)
        self.whatsapp_handlers = WhatsAppHandlers(storage, self.front, self.handoff, self.channels["whatsapp"])
        self.inbox.handle("whatsapp", self.whatsapp_handlers.handle)

    async def _failed_later(self, channel: str, code: int | None, error: str) -> None:
        """A message the channel accepted, then reported failed: an error for the operators when it is theirs."""
        from bot.channels.whatsapp.classify import ACTIONS, explain
        if code in ACTIONS:
            log.error("%s: a sent message failed, operators must act: %s", channel, explain(code, error))

    async def health(self):
        """The health check on this process's own database and clock (GET /healthz)."""
        assert self.storage is not None
        from bot.channels.whatsapp.classify import RECIPIENT_ONLY
        return await check(self.storage.health, self.clock.now(),
                           HealthRules.from_settings(self.settings, RECIPIENT_ONLY),
                           polling=expects_polling(self.settings), whatsapp=self.settings.whatsapp is not None)

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.health()
        if report.ok:
            return web.Response(text=report.line() + "\n", content_type="application/json")
        return web.Response(status=503, text=report.line() + "\n", content_type="text/plain")

    async def _blocked(self, channel: str, chat: str) -> None:
        """A send found the user unreachable: the front door's one handling (inactive, unsubscribed, staff told)."""
        await self.front.unreachable(channel, chat)

    async def _maintain(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - retention must not stop the bot
                log.exception("retention sweep failed")
            await asyncio.sleep(MAINTENANCE_EVERY)

    async def sweep(self, now: dt.datetime | None = None) -> tuple[int, int]:
        """Delete question texts older than QUESTION_RETENTION_DAYS and handled updates older than a week."""
        assert self.storage is not None
        now = now or dt.datetime.now(dt.timezone.utc)
        questions = await self.storage.users.delete_questions_before(
            utc_iso(now - dt.timedelta(days=self.settings.question_retention_days)))
        updates = await self.storage.inbox.delete_handled_before(utc_iso(now - dt.timedelta(days=INBOX_KEEP_DAYS)))
        await self.storage.health.prune_send_log()
        if questions or updates:
            log.info("retention: deleted %d questions and %d handled updates", questions, updates)
        return questions, updates

    async def stop(self) -> None:
        """Stop receiving, finish what is in hand, close the database, release the lock."""
        if self._maintenance is not None:
            self._maintenance.cancel()
            await asyncio.gather(self._maintenance, return_exceptions=True)
            self._maintenance = None
        if self.telegram is not None:
            await self.telegram.stop_receiving()
        if self.web is not None:
            await self.web.stop()
        for name in ("reminders", "inbox", "broadcaster", "handoff"):
            service = getattr(self, name, None)
            if service is not None:
                await service.stop()
        if self.telegram is not None:
            try:
                await self.telegram.stop()
            except Exception:  # noqa: BLE001 - never initialised (e.g. the token was refused)
                pass
            self.telegram = None
        if self.graph is not None:
            await self.graph.close()
            self.graph = None
        if self.storage is not None:
            await self.storage.close()
            self.storage = None
        self.lock.release()


async def serve(settings: Settings, tuning: Tuning = Tuning()) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly (updates in hand are finished first)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = App(settings, tuning=tuning)
    if not await app.start(stop):
        return
    try:
        await stop.wait()
    finally:
        await app.stop()
