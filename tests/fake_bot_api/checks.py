"""Content checks Telegram applies beyond parameter types: text/caption limits, HTML, keyboards, commands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid
from .html_check import FormattedText, HtmlParseError, parse_html, strip_formatted

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
KEYBOARD_BUTTON_LIMIT = 100
ANSWER_TEXT_LIMIT = 200
COMMANDS_LIMIT = 100
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)
TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_BUTTON_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)


@dataclass
class Content:
    """Parsed text/captions handed to the simulator so stored messages show visible text + entities."""

    text: FormattedText | None = None
    caption: FormattedText | None = None
    media_captions: list[FormattedText | None] = field(default_factory=list)


def check_content(method: str, params: dict[str, Any]) -> Content:
    """Raise a validation ApiError for anything Telegram would refuse; return parsed texts."""
    content = Content()
    if method in TEXT_METHODS and "text" in params:
        content.text = format_text(params["text"], params.get("parse_mode"), params.get("entities"), "text")
    if isinstance(params.get("caption"), str):
        content.caption = format_text(
            params["caption"], params.get("parse_mode"), params.get("caption_entities"), "caption"
        )
    if method == "sendMediaGroup":
        if not 2 <= len(params.get("media", [])) <= 10:
            raise invalid("wrong number of media items: an album must have 2-10 items")
        content.media_captions = [_media_caption(item) for item in params.get("media", [])]
    markup = params.get("reply_markup")
    if isinstance(markup, dict):
        check_reply_markup(markup, inline_only=method.startswith(("edit", "stop")))
    if method == "answerCallbackQuery" and len(params.get("text") or "") > ANSWER_TEXT_LIMIT:
        raise invalid("MESSAGE_TOO_LONG")
    if method == "setMyCommands":
        check_commands(params.get("commands", []))
    if method == "sendChatAction" and params.get("action") not in CHAT_ACTIONS:
        raise invalid("wrong parameter action in request")
    return content


def format_text(value: str, parse_mode: str | None, entities: list[Any] | None, kind: str) -> FormattedText:
    """Apply parse_mode, trim like Telegram, then enforce the empty/length limits on visible text."""
    mode = parse_mode.lower() if parse_mode else None
    if mode is not None and mode not in PARSE_MODES:
        raise invalid("unsupported parse_mode")
    if entities is not None:
        parsed = FormattedText(value, list(entities))
    elif mode == "html":
        try:
            parsed = parse_html(value)
        except HtmlParseError as exc:
            raise invalid(f"can't parse entities: {exc}") from None
    else:
        parsed = FormattedText(value, [])  # Markdown modes are not parsed: raw length is an upper bound
    parsed = strip_formatted(parsed)
    if kind == "text":
        if not parsed.text:
            raise invalid("message text is empty")
        if parsed.length > TEXT_LIMIT:
            raise invalid("message is too long")
    elif parsed.length > CAPTION_LIMIT:
        raise invalid("message caption is too long")
    return parsed


def _media_caption(item: Any) -> FormattedText | None:
    if not isinstance(item, dict):
        raise invalid("can't parse InputMedia: media must be an Object")
    if item.get("type") not in ("photo", "video", "audio", "document"):
        raise invalid("can't parse InputMedia: unsupported media type")
    if not isinstance(item.get("media"), str) or not item["media"]:
        raise invalid('can\'t parse InputMedia: Field "media" must be of type String')
    caption = item.get("caption")
    if not isinstance(caption, str):
        return None
    return format_text(caption, item.get("parse_mode"), item.get("caption_entities"), "caption")


def check_reply_markup(markup: dict[str, Any], *, inline_only: bool = False) -> None:
    """Validate any reply_markup; edit methods only take inline keyboards."""
    if "inline_keyboard" in markup:
        check_inline_keyboard(markup["inline_keyboard"])
    elif inline_only:
        raise invalid("can't parse inline keyboard markup JSON object")
    elif "keyboard" in markup:
        for button in _rows(markup["keyboard"], "KeyboardButton"):
            text = button if isinstance(button, str) else button.get("text") if isinstance(button, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise invalid("BUTTON_TEXT_INVALID")
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise invalid("can't parse reply keyboard markup JSON object")


def check_inline_keyboard(keyboard: Any) -> None:
    """1-64 byte callback_data, non-empty text, exactly one action, <=100 buttons."""
    buttons = _rows(keyboard, "InlineKeyboardButton")
    if len(buttons) > KEYBOARD_BUTTON_LIMIT:
        raise invalid("reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict):
            raise invalid("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        text = button.get("text")
        if not isinstance(text, str):
            raise invalid('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not text.strip():
            raise invalid("BUTTON_TEXT_INVALID")
        actions = [name for name in BUTTON_ACTIONS if name in button]
        if not actions:
            raise invalid("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise invalid("BUTTON_DATA_INVALID")
        if "url" in button and not (isinstance(button["url"], str) and _BUTTON_URL_RE.match(button["url"])):
            raise invalid("BUTTON_URL_INVALID")


def _rows(keyboard: Any, what: str) -> list[Any]:
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise invalid(f"can't parse keyboard: {what}s must be an Array of Arrays")
    return [button for row in keyboard for button in row]


def check_commands(commands: list[Any]) -> None:
    """Telegram refuses upper-case/long command names and empty descriptions."""
    if len(commands) > COMMANDS_LIMIT:
        raise invalid("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
            raise invalid("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise invalid("BOT_COMMAND_DESCRIPTION_INVALID")
