"""Fake Telegram Bot API server for offline end-to-end tests of PTB bots (see README.md)."""

from . import updates
from .errors import ApiError
from .html_check import FormattedText, HtmlParseError, parse_html, utf16_len, visible_text
from .models import Call, UploadedFile
from .server import DEFAULT_TOKEN, FakeBotApi

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Call",
    "FakeBotApi",
    "FormattedText",
    "HtmlParseError",
    "UploadedFile",
    "parse_html",
    "updates",
    "utf16_len",
    "visible_text",
]
