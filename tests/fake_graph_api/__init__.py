"""Fake WhatsApp Cloud (Graph) API server for offline end-to-end tests of the WhatsApp channel (see README.md)."""

from . import errors, webhooks
from .checks import LIMITS, Limits, utf16_len
from .errors import GraphError
from .models import Call, Delivery, SentMessage, StoredMedia, UploadedFile, WaUser
from .server import (
    DEFAULT_APP_SECRET,
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    FakeGraphApi,
)

__all__ = [
    "DEFAULT_APP_SECRET",
    "DEFAULT_PHONE_NUMBER_ID",
    "DEFAULT_TOKEN",
    "LIMITS",
    "Call",
    "Delivery",
    "FakeGraphApi",
    "GraphError",
    "Limits",
    "SentMessage",
    "StoredMedia",
    "UploadedFile",
    "WaUser",
    "errors",
    "utf16_len",
    "webhooks",
]
