"""Test helpers for the WhatsApp channel: a Graph API client for the fake and a webhook receiver that records."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fake_graph_api import FakeGraphApi, WaUser


@dataclass
class Answer:
    status: int
    json: Any

    @property
    def code(self) -> int | None:
        """The Graph error code, or None on success."""
        return (self.json.get("error") or {}).get("code") if isinstance(self.json, dict) else None

    @property
    def details(self) -> str:
        return ((self.json.get("error") or {}).get("error_data") or {}).get("details", "")


class GraphClient:
    """What the bot's sender will do, minimally: JSON posts with the Bearer token, multipart uploads."""

    def __init__(self, session: aiohttp.ClientSession, fake: FakeGraphApi, version: str | None = None) -> None:
        self.session = session
        self.fake = fake
        self.version = version or fake.api_version
        self.auth = {"Authorization": f"Bearer {fake.access_token}"}

    def url(self, tail: str) -> str:
        return f"{self.fake.base_url}/{self.version}/{tail}"

    async def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                      **kwargs: Any) -> Answer:
        async with self.session.request(method, url, headers=self.auth if headers is None else headers,
                                        **kwargs) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = await response.read()
            return Answer(response.status, body)

    async def post(self, body: dict[str, Any], **kwargs: Any) -> Answer:
        return await self.request("POST", self.url(f"{self.fake.phone_number_id}/messages"), json=body, **kwargs)

    async def send(self, user: WaUser, message: dict[str, Any], *, by: str | None = None, **kwargs: Any) -> Answer:
        """Add the addressing the sender adds: `recipient` for a BSUID-only user (or by="recipient"), else `to`."""
        field = by or ("to" if user.wa_id else "recipient")
        value = user.wa_id if field == "to" else user.user_id
        return await self.post({"messaging_product": "whatsapp", "recipient_type": "individual",
                                field: value, **message}, **kwargs)

    async def text(self, user: WaUser, body: str, **kwargs: Any) -> Answer:
        return await self.send(user, {"type": "text", "text": {"body": body}}, **kwargs)

    async def upload(self, data: bytes, mime: str, filename: str = "file.bin") -> Answer:
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", io.BytesIO(data), filename=filename, content_type=mime)
        return await self.request("POST", self.url(f"{self.fake.phone_number_id}/media"), data=form)


@dataclass
class Receiver:
    """A stand-in for the bot's /whatsapp route: records raw bodies and headers, answers `status`."""

    status: int = 200
    requests: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/whatsapp", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/whatsapp"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append((await request.read(), dict(request.headers)))
        return web.Response(text="ok", status=self.status)
