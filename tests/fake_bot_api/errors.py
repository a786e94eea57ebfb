"""Telegram-shaped API errors raised inside the fake server and turned into HTTP answers."""

from __future__ import annotations

from typing import Any, Literal

ErrorKind = Literal["validation", "state", "injected", "flood", "auth", "not_found", "conflict"]


class ApiError(Exception):
    """An error answer in Telegram's shape; `kind` tells tests *why* it was produced."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        kind: ErrorKind = "state",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.kind = kind
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram would send (retry_after inside `parameters`, as PTB expects)."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(message: str, *, kind: ErrorKind = "state") -> ApiError:
    """Shortcut for a 400 whose description gets Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}", kind=kind)


def invalid(message: str) -> ApiError:
    """A 400 caused by a spec/HTML/length/keyboard violation (listed in `validation_errors`)."""
    return bad_request(message, kind="validation")
