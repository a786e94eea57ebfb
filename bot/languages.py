"""The languages the assistant speaks: one definition for the engine, the services and every channel."""

from __future__ import annotations

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
STAFF_LANGUAGE = "es"


def hinted_language(code: str | None) -> str | None:
    """Map a client language code ("es-MX", "en") to one of ours, or None."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None
