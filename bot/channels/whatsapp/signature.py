"""Webhook authenticity checks for the WhatsApp Cloud API, pure so they can be tested and benchmarked alone."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(app_secret: str, raw_body: bytes) -> str:
    """The header value Meta sends for this body (used by tests and the fake server's peers)."""
    digest = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """True only when `header` is `sha256=<hex HMAC-SHA256 of the exact raw body>`; constant-time compare."""
    if not app_secret or not header or not header.startswith(_PREFIX):
        return False
    expected = sign(app_secret, raw_body).encode()
    try:
        received = header.strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, received)


def verify_challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The hub.challenge to echo for Meta's GET subscription check, or None (answer 403)."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    token = params.get("hub.verify_token")
    challenge = params.get("hub.challenge")
    if token is None or challenge is None:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return challenge
