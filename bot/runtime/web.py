"""One HTTP server for every webhook (Telegram's, later WhatsApp's), on PORT; aiohttp on the bot's own loop."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, port: int, host: str = "0.0.0.0"):
        self.port = port
        self.host = host
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        self._runner: web.AppRunner | None = None

    def route(self, method: str, path: str, handler) -> None:
        self.app.router.add_route(method, path, handler)

    @property
    def has_routes(self) -> bool:
        return bool(list(self.app.router.routes()))

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("listening for webhooks on port %s", self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
