"""The WhatsApp webhook at /whatsapp: Meta's GET verification, and signed POSTs stored in the inbox before the 200.

Each message and each status in a POST becomes its own inbox row keyed by its wamid (statuses by wamid and
status), so Meta's at-least-once deliveries are recognised across restarts and one user's messages stay in order.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from bot.runtime.config import WhatsAppSettings
from bot.runtime.inbox import Inbox
from bot.storage import Arrival
from bot.channels.whatsapp.signature import verify_challenge, verify_signature
from bot.channels.whatsapp.updates import parse_webhook

log = logging.getLogger(__name__)
CHANNEL = "whatsapp"
PATH = "/whatsapp"


def _mini(body: dict, entry: dict, value: dict, key: str, item: dict) -> dict:
    """A webhook body holding just one message or status (and the contacts it needs)."""
    part = {k: v for k, v in value.items() if k not in ("messages", "statuses")}
    part[key] = [item]
    return {"object": body.get("object"), "entry": [{"id": entry.get("id"), "changes": [
        {"field": "messages", "value": part}]}]}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def arrivals(body: dict) -> list[Arrival]:
    """One inbox row per message and per status of a webhook body; malformed parts are skipped, never raised."""
    found: list[Arrival] = []
    for entry in _list(body.get("entry")):
        for change in _list(entry.get("changes")) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            for message in _list(value.get("messages")):
                if not isinstance(message, dict) or not message.get("id"):
                    continue
                mini = _mini(body, entry, value, "messages", message)
                try:
                    parsed = parse_webhook(mini).messages
                except Exception:  # noqa: BLE001 - stored anyway: the handler marks it failed, once
                    parsed = []
                who = parsed[0].sender.key if parsed else message.get("from_user_id") or message.get("from")
                who = str(who) if who is not None else None
                found.append(Arrival(CHANNEL, str(message["id"]), who, who, mini))
            for status in _list(value.get("statuses")):
                if not isinstance(status, dict) or not status.get("id"):
                    continue
                who = status.get("recipient_user_id") or status.get("recipient_id")
                found.append(Arrival(CHANNEL, f"status:{status['id']}:{status.get('status')}", who, who,
                                     _mini(body, entry, value, "statuses", status)))
    return found


# Template webhooks (subscribe the fields message_template_status_update and message_template_quality_update in the
# app's webhook settings): nothing to handle, but the operators must hear at once that a template the bot sends was
# paused, disabled or rejected, or its quality dropped, instead of finding out from failed broadcasts.
TEMPLATE_FIELDS = ("message_template_status_update", "message_template_quality_update")
FINE_EVENTS = ("APPROVED", "PENDING", "REINSTATED", "IN_APPEAL")


def template_notices(body: dict, settings: WhatsAppSettings) -> list[tuple[int, str]]:
    """(log level, line) for each template status or quality change in a webhook body."""
    used = {settings.update_template: "WHATSAPP_UPDATE_TEMPLATE", settings.reply_template: "WHATSAPP_REPLY_TEMPLATE",
            settings.reminder_template: "WHATSAPP_REMINDER_TEMPLATE"}
    notices = []
    for entry in _list(body.get("entry")):
        for change in _list(entry.get("changes")) if isinstance(entry, dict) else []:
            if not isinstance(change, dict) or change.get("field") not in TEMPLATE_FIELDS:
                continue
            value = change.get("value") if isinstance(change.get("value"), dict) else {}
            name = str(value.get("message_template_name") or "?")
            which = f"template {name} ({value.get('message_template_language') or '?'})"
            if name in used:
                which += f", the bot's {used[name]},"
            if change["field"] == "message_template_status_update":
                event = str(value.get("event") or "?")
                reason = value.get("reason")
                other = value.get("other_info") if isinstance(value.get("other_info"), dict) else {}
                why = "; ".join(str(x) for x in (reason if reason not in (None, "NONE") else None,
                                                 other.get("title"), other.get("description")) if x)
                line = f"WhatsApp {which} is now {event}" + (f": {why}" if why else "")
                if event in FINE_EVENTS:
                    notices.append((logging.INFO, line))
                else:
                    notices.append((logging.ERROR, line + " (operators must act: WhatsApp Manager > Message "
                                                          "templates; sends with it fail meanwhile)"))
            else:
                new = str(value.get("new_quality_score") or "?")
                line = (f"WhatsApp {which} quality changed from {value.get('previous_quality_score') or '?'} "
                        f"to {new}")
                notices.append((logging.WARNING if new in ("RED", "YELLOW") else logging.INFO, line))
    return notices


def routes(settings: WhatsAppSettings, inbox: Inbox) -> tuple:
    async def verify(request: web.Request) -> web.Response:
        challenge = verify_challenge(request.query, settings.verify_token)
        return web.Response(text=challenge) if challenge is not None else web.Response(status=403)

    async def receive(request: web.Request) -> web.Response:
        raw = await request.read()
        signature = request.headers.get("X-Hub-Signature-256")
        if not signature:
            return web.Response(status=401)
        if not verify_signature(settings.app_secret, raw, signature):
            return web.Response(status=403)
        try:
            body = json.loads(raw)
        except ValueError:
            log.warning("a signed WhatsApp webhook was not JSON; ignored")
            return web.Response(status=200)
        for level, line in template_notices(body, settings) if isinstance(body, dict) else ():
            log.log(level, line)
        rows = arrivals(body) if isinstance(body, dict) else []
        try:
            await inbox.receive(rows)
        except Exception:  # noqa: BLE001 - Meta delivers it again after a non-2xx answer
            log.exception("could not store a WhatsApp webhook")
            return web.Response(status=500)
        return web.Response(status=200)

    return verify, receive
