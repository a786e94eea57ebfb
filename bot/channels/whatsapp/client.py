"""A thin client for the WhatsApp Cloud API (Graph API): send, upload, download, mark as read.

Chosen over pywa because pywa drops incoming messages whose contact lacks a business-scoped `user_id`-compatible
shape and keeps its duplicate filter in memory; this bot needs every message through its own durable inbox and
only four endpoints, which httpx (already installed with python-telegram-bot) covers in a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.runtime.config import WhatsAppSettings

TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass
class GraphError(Exception):
    """The Graph API refused a call; `code` is Meta's error code (131047, 131056, 130429, …)."""

    http_status: int
    code: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.code or self.http_status}: {self.message}"


class GraphClient:
    def __init__(self, settings: WhatsAppSettings):
        self.settings = settings
        self.base = f"{settings.api_base_url}/{settings.api_version}"   # WHATSAPP_API_VERSION
        self._http = httpx.AsyncClient(timeout=TIMEOUT, headers={"Authorization": f"Bearer {settings.access_token}"})

    async def close(self) -> None:
        await self._http.aclose()

    @staticmethod
    def _check(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or "error" in body:
            error = body.get("error") or {}
            details = (error.get("error_data") or {}).get("details") or error.get("message") or response.reason_phrase
            raise GraphError(response.status_code, error.get("code"), str(details)[:300])
        return body

    async def send(self, *, to: str | None, recipient: str | None, message: dict) -> str:
        """POST one message; `to` is the phone id, `recipient` a business-scoped id (for users known only by it)."""
        body = {"messaging_product": "whatsapp", **({"to": to} if to else {"recipient": recipient}), **message}
        result = self._check(await self._http.post(f"{self.base}/{self.settings.phone_number_id}/messages",
                                                   json=body))
        return str(result["messages"][0]["id"])

    async def mark_read(self, message_id: str, *, typing: bool = False) -> None:
        """The blue ticks on a user's message; with `typing`, also "typing…" until the reply (at most 25 s)."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        if typing:
            body["typing_indicator"] = {"type": "text"}
        self._check(await self._http.post(f"{self.base}/{self.settings.phone_number_id}/messages", json=body))

    async def upload(self, data: bytes, mime_type: str, file_name: str = "file") -> str:
        files = {"file": (file_name, data, mime_type)}
        form = {"messaging_product": "whatsapp", "type": mime_type}
        result = self._check(await self._http.post(f"{self.base}/{self.settings.phone_number_id}/media",
                                                   data=form, files=files))
        return str(result["id"])

    async def download(self, media_id: str) -> tuple[bytes, str | None]:
        """An inbound media file (its id expires after 7 days, its URL after 5 minutes: fetched at once)."""
        info = self._check(await self._http.get(f"{self.base}/{media_id}"))
        response = await self._http.get(info["url"])
        if response.status_code >= 400:
            raise GraphError(response.status_code, None, "media download failed")
        return response.content, info.get("mime_type")
