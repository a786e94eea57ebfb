"""Graph API errors with Meta's codes and body shape, so the bot's error mapping is tested against the real thing."""

from __future__ import annotations

import secrets
from typing import Any

# codes the fake produces (Meta error-codes page; ../shared/reference/telegram-whatsapp-notes.md §3.6)
INVALID_PARAMETER = 100
ACCESS_TOKEN = 190
UNKNOWN_PATH = 2500
DEPRECATED_VERSION = 2635
SERVICE_UNAVAILABLE = 2
UNKNOWN_ERROR = 131000
REQUIRED_PARAMETER_MISSING = 131008
PARAMETER_VALUE_INVALID = 131009
MESSAGE_UNDELIVERABLE = 131026
RE_ENGAGEMENT = 131047
UNSUPPORTED_MESSAGE_TYPE = 131051
MEDIA_UPLOAD_ERROR = 131053
PAIR_RATE_LIMIT = 131056
THROUGHPUT = 130429
TEMPLATE_PARAMS_MISMATCH = 132000
TEMPLATE_DOES_NOT_EXIST = 132001
TEMPLATE_TEXT_TOO_LONG = 132005
TEMPLATE_PARAM_FORMAT = 132018

TITLES = {
    INVALID_PARAMETER: "Invalid parameter",
    ACCESS_TOKEN: "Invalid OAuth access token - Cannot parse access token",
    UNKNOWN_PATH: "Unknown path components",
    DEPRECATED_VERSION: "You are calling a deprecated version of the Graph API",
    SERVICE_UNAVAILABLE: "Service temporarily unavailable",
    UNKNOWN_ERROR: "Something went wrong",
    REQUIRED_PARAMETER_MISSING: "Required parameter is missing",
    PARAMETER_VALUE_INVALID: "Parameter value is not valid",
    MESSAGE_UNDELIVERABLE: "Message undeliverable",
    RE_ENGAGEMENT: "Re-engagement message",
    UNSUPPORTED_MESSAGE_TYPE: "Message type unknown",
    MEDIA_UPLOAD_ERROR: "Media upload error",
    PAIR_RATE_LIMIT: "(Business Account, Consumer Account) pair rate limit hit",
    THROUGHPUT: "Rate limit hit",
    TEMPLATE_PARAMS_MISMATCH: "Number of parameters does not match the expected number of params",
    TEMPLATE_DOES_NOT_EXIST: "Template name does not exist in the translation",
    TEMPLATE_TEXT_TOO_LONG: "Translated text too long",
    TEMPLATE_PARAM_FORMAT: "There was an issue with the parameters in your template.",
}
DETAILS = {
    RE_ENGAGEMENT: "Message failed to send because more than 24 hours have passed since the customer last replied"
                   " to this number.",
    PAIR_RATE_LIMIT: "Message failed to send because there were too many messages sent from this phone number to"
                     " the same phone number in a short period of time.",
    THROUGHPUT: "Cloud API message throughput has been reached.",
    MESSAGE_UNDELIVERABLE: "Message Undeliverable.",
    TEMPLATE_PARAM_FORMAT: "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
}


class GraphError(Exception):
    """An error answer: HTTP status, Meta code and details; `kind` says why the fake refused (for recording)."""

    def __init__(self, status: int, code: int, details: str | None = None, *, kind: str = "validation",
                 message: str | None = None, type_: str = "OAuthException", subcode: int | None = None) -> None:
        self.status = status
        self.code = code
        self.details = details if details is not None else DETAILS.get(code)
        self.kind = kind
        self.title = TITLES.get(code, "Error")
        if message is None and code == INVALID_PARAMETER and self.details:
            message = f"(#{code}) {self.details}"   # Meta words code-100 errors this way
        self.message = message or f"(#{code}) {self.title}"
        self.type = type_
        self.subcode = subcode
        super().__init__(self.summary())

    def summary(self) -> str:
        return f"{self.code} {self.title}" + (f": {self.details}" if self.details else "")

    def payload(self) -> dict[str, Any]:
        """`{"error": {message, type, code, error_data: {messaging_product, details}, fbtrace_id}}` as Meta sends."""
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(15)
        return {"error": error}

    def as_status_error(self) -> dict[str, Any]:
        """The same error as it appears in a `failed` status webhook (`statuses[].errors[]`)."""
        return {"code": self.code, "title": self.title, "message": self.title,
                "error_data": {"details": self.details or self.title}}


def invalid(details: str, code: int = PARAMETER_VALUE_INVALID) -> GraphError:
    """A 400 refusal of a malformed request (recorded as a validation error)."""
    return GraphError(400, code, details)


def missing(name: str) -> GraphError:
    return GraphError(400, REQUIRED_PARAMETER_MISSING, f"The parameter {name} is required.")
