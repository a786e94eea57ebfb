"""Validation of POST /{phone_number_id}/messages bodies: what the Cloud API refuses as malformed, with its codes.

Lengths are counted in UTF-16 code units (never fewer than Meta's "characters"), so the fake is at least as strict
as Meta on emoji. Checks that need state (recipient, window, media ids, templates) get it through `Lookup`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import errors as E
from .errors import GraphError, invalid, missing
from .media import MESSAGE_TYPES_FOR_MIME, MEDIA_KINDS
from .models import StoredMedia

TOP_LEVEL = {
    "messaging_product", "recipient_type", "to", "recipient", "type", "context", "biz_opaque_callback_data",
    "text", "interactive", "template", "location", "reaction", "status", "message_id", "typing_indicator",
    *MEDIA_KINDS,
}
CAPTION_KINDS = ("image", "video", "document")
_SPACES = re.compile(r" {5,}")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Limits:
    """The Cloud API's limits as the fake enforces them (kept apart from the bot's table on purpose)."""

    text_body: int = 4096
    caption: int = 1024
    interactive_body: int = 1024
    header: int = 60
    footer: int = 60
    buttons_max: int = 3
    button_title: int = 20
    button_id: int = 256
    list_button: int = 20
    sections_max: int = 10
    rows_max: int = 10
    row_title: int = 24
    row_description: int = 72
    row_id: int = 200
    section_title: int = 24
    template_body: int = 1024
    cta_display_text: int = 20


LIMITS = Limits()


@dataclass
class Lookup:
    """State the checks need from the server."""

    media: Callable[[str], StoredMedia | None]
    template: Callable[[str, str], str | None]     # (name, language code) -> body text with {{1}} placeholders


def check_message(body: Any, lookup: Lookup) -> str:
    """Raise GraphError for a malformed send; return its kind (text, interactive, template, image, ..., read)."""
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object", E.INVALID_PARAMETER)
    product = body.get("messaging_product")
    if product is None:
        raise GraphError(400, E.INVALID_PARAMETER, "The parameter messaging_product is required.")
    if product != "whatsapp":
        raise invalid(f'Param messaging_product must be one of {{WHATSAPP}} - got "{product}".', E.INVALID_PARAMETER)
    _no_unexpected(body, TOP_LEVEL, "<root>")
    if "status" in body:
        return _check_read(body)
    rtype = body.get("recipient_type", "individual")
    if rtype != "individual":
        raise invalid(f'Param recipient_type must be one of {{INDIVIDUAL, GROUP}} - got "{rtype}".',
                      E.INVALID_PARAMETER)
    kind = body.get("type", "text")
    if kind not in body:
        raise missing(kind if isinstance(kind, str) else "type")
    part = body[kind]
    if kind == "text":
        _check_text(part)
    elif kind == "interactive":
        _check_interactive(part)
    elif kind == "template":
        _check_template(part, lookup)
    elif kind in MEDIA_KINDS:
        _check_media(kind, part, lookup)
    elif kind == "location":
        _check_location(part)
    elif kind == "reaction":
        _check_reaction(part)
    else:
        raise invalid(f"Param type must be a supported message type - got {kind!r}", E.INVALID_PARAMETER)
    return kind


def _no_unexpected(obj: dict[str, Any], allowed: set[str] | tuple[str, ...], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise invalid(f'Unexpected key "{key}" on param "{where}".', E.INVALID_PARAMETER)


def _obj(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        raise missing(name)
    if not isinstance(value, dict):
        raise invalid(f"Param {name} must be a JSON object.", E.INVALID_PARAMETER)
    return value


def _string(value: Any, name: str, limit: int, *, minimum: int = 1, code: int = E.PARAMETER_VALUE_INVALID) -> str:
    """A required string of `minimum`..`limit` UTF-16 units."""
    if value is None:
        raise missing(name)
    if not isinstance(value, str):
        raise invalid(f"Param {name} must be a string.", E.INVALID_PARAMETER)
    length = utf16_len(value)
    if length < minimum or not value.strip():
        raise invalid(f"{name} length invalid. Min length: {minimum}, Max length: {limit}", code)
    if length > limit:
        raise invalid(f"{name} length invalid. Min length: {minimum}, Max length: {limit} (got {length})", code)
    return value


def _check_read(body: dict[str, Any]) -> str:
    if body.get("status") != "read":
        raise invalid(f'Param status must be one of {{READ}} - got "{body.get("status")}".', E.INVALID_PARAMETER)
    if not isinstance(body.get("message_id"), str) or not body["message_id"]:
        raise missing("message_id")
    extra = set(body) - {"messaging_product", "status", "message_id", "typing_indicator"}
    if extra:
        raise invalid(f'Unexpected key "{sorted(extra)[0]}" on param "<root>".', E.INVALID_PARAMETER)
    indicator = body.get("typing_indicator")
    if indicator is not None and _obj(indicator, "typing_indicator").get("type") != "text":
        raise invalid("Param typing_indicator['type'] must be one of {TEXT}.", E.INVALID_PARAMETER)
    return "read"


def _check_text(part: Any) -> None:
    text = _obj(part, "text")
    _no_unexpected(text, ("body", "preview_url"), "text")
    body = text.get("body")
    if body is None:
        raise missing("text['body']")
    if not isinstance(body, str) or not body.strip():
        raise invalid("Param text['body'] must be a non-empty string.", E.INVALID_PARAMETER)
    if utf16_len(body) > LIMITS.text_body:
        raise invalid(f"Param text['body'] must be at most {LIMITS.text_body} characters long.", E.INVALID_PARAMETER)
    if "preview_url" in text and not isinstance(text["preview_url"], bool):
        raise invalid("Param text['preview_url'] must be a boolean.", E.INVALID_PARAMETER)


# interactive -------------------------------------------------------------------------------------------
def _check_interactive(part: Any) -> None:
    inter = _obj(part, "interactive")
    _no_unexpected(inter, ("type", "header", "body", "footer", "action"), "interactive")
    itype = inter.get("type")
    if itype not in ("button", "list", "cta_url"):
        raise invalid(f"Param interactive['type'] must be one of {{BUTTON, LIST, CTA_URL}} - got {itype!r}.",
                      E.INVALID_PARAMETER)
    body = _obj(inter.get("body"), "interactive['body']")
    _string(body.get("text"), "Body text", LIMITS.interactive_body)
    if "header" in inter:
        _check_header(_obj(inter["header"], "interactive['header']"), itype)
    if "footer" in inter:
        _string(_obj(inter["footer"], "interactive['footer']").get("text"), "Footer text", LIMITS.footer)
    action = _obj(inter.get("action"), "interactive['action']")
    if itype == "button":
        _check_buttons(action)
    elif itype == "list":
        _check_list(action)
    else:
        _check_cta(action)


def _check_header(header: dict[str, Any], itype: str) -> None:
    htype = header.get("type")
    if htype == "text":
        _string(header.get("text"), "Header text", LIMITS.header)
    elif itype == "list" or htype not in ("image", "video", "document"):
        raise invalid(f"Header type {htype!r} is not valid for an interactive {itype} message.")


def _check_buttons(action: dict[str, Any]) -> None:
    _no_unexpected(action, ("buttons",), "interactive['action']")
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise missing("interactive['action']['buttons']")
    if len(buttons) > LIMITS.buttons_max:
        raise invalid(f"Buttons count invalid. Min: 1, Max: {LIMITS.buttons_max} (got {len(buttons)})")
    ids: set[str] = set()
    titles: set[str] = set()
    for button in buttons:
        button = _obj(button, "button")
        if button.get("type") != "reply":
            raise invalid("Param button['type'] must be one of {REPLY}.", E.INVALID_PARAMETER)
        reply = _obj(button.get("reply"), "button['reply']")
        bid = _string(reply.get("id"), "Button id", LIMITS.button_id)
        title = _string(reply.get("title"), "Button title", LIMITS.button_title)
        if bid in ids:
            raise invalid(f"Duplicate button id: {bid!r}")
        if title in titles:
            raise invalid(f"Button title is not unique: {title!r}")
        ids.add(bid)
        titles.add(title)


def _check_list(action: dict[str, Any]) -> None:
    _no_unexpected(action, ("button", "sections"), "interactive['action']")
    _string(action.get("button"), "Button label", LIMITS.list_button)
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise missing("interactive['action']['sections']")
    if len(sections) > LIMITS.sections_max:
        raise invalid(f"Sections count invalid. Min: 1, Max: {LIMITS.sections_max}")
    ids: set[str] = set()
    total = 0
    for section in sections:
        section = _obj(section, "section")
        if "title" in section or len(sections) > 1:
            _string(section.get("title"), "Section title", LIMITS.section_title)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise missing("section['rows']")
        total += len(rows)
        for row in rows:
            row = _obj(row, "row")
            _no_unexpected(row, ("id", "title", "description"), "row")
            rid = _string(row.get("id"), "Row id", LIMITS.row_id)
            _string(row.get("title"), "Row title", LIMITS.row_title)
            if "description" in row:
                _string(row["description"], "Row description", LIMITS.row_description, minimum=0)
            if rid in ids:
                raise invalid(f"Duplicate row id: {rid!r}")
            ids.add(rid)
    if total > LIMITS.rows_max:
        raise invalid(f"Total row count exceed max allowed count: {LIMITS.rows_max} (got {total})")


def _check_cta(action: dict[str, Any]) -> None:
    if action.get("name") != "cta_url":
        raise invalid("Param interactive['action']['name'] must be cta_url.", E.INVALID_PARAMETER)
    params = _obj(action.get("parameters"), "interactive['action']['parameters']")
    _string(params.get("display_text"), "Display text", LIMITS.cta_display_text)
    url = params.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise invalid("Param url must be a valid http(s) URL.", E.INVALID_PARAMETER)


# templates ---------------------------------------------------------------------------------------------
def _check_template(part: Any, lookup: Lookup) -> None:
    tpl = _obj(part, "template")
    _no_unexpected(tpl, ("name", "language", "components", "namespace"), "template")
    name = tpl.get("name")
    if not isinstance(name, str) or not name:
        raise missing("template['name']")
    language = _obj(tpl.get("language"), "template['language']")
    code = language.get("code")
    if not isinstance(code, str) or not code:
        raise missing("template['language']['code']")
    text = lookup.template(name, code)
    if text is None:
        raise GraphError(404, E.TEMPLATE_DOES_NOT_EXIST, f"template name ({name}) does not exist in {code}")
    values: list[str] = []
    components = tpl.get("components") or []
    if not isinstance(components, list):
        raise invalid("Param template['components'] must be an array.", E.INVALID_PARAMETER)
    for component in components:
        component = _obj(component, "component")
        if str(component.get("type", "")).lower() != "body":
            continue
        for param in component.get("parameters") or []:
            param = _obj(param, "parameter")
            if param.get("type") != "text":
                raise invalid("Body parameters must have type text in this fake.", E.INVALID_PARAMETER)
            value = param.get("text")
            if not isinstance(value, str) or not value.strip():
                raise missing("parameter['text']")
            if "\n" in value or "\t" in value or _SPACES.search(value):
                raise GraphError(400, E.TEMPLATE_PARAM_FORMAT)
            values.append(value)
    expected = _PLACEHOLDER.findall(text)
    if len(values) != len(expected):
        raise GraphError(400, E.TEMPLATE_PARAMS_MISMATCH,
                         f"body: number of localizable_params ({len(values)}) does not match the expected number"
                         f" of params ({len(expected)})")
    filled = _PLACEHOLDER.sub(lambda m: values[expected.index(m.group(1))] if m.group(1) in expected else "", text)
    if utf16_len(filled) > LIMITS.template_body:
        raise GraphError(400, E.TEMPLATE_TEXT_TOO_LONG,
                         f"The body of the template is {utf16_len(filled)} characters long after its parameters"
                         f" are filled in; the maximum is {LIMITS.template_body}.")


# media and others --------------------------------------------------------------------------------------
def _check_media(kind: str, part: Any, lookup: Lookup) -> None:
    media = _obj(part, kind)
    allowed = {"id", "link"} | ({"caption"} if kind in CAPTION_KINDS else set())
    allowed |= {"filename"} if kind == "document" else set()
    _no_unexpected(media, tuple(allowed), kind)
    if ("id" in media) == ("link" in media):
        raise invalid(f"Param {kind} must have exactly one of id or link.", E.INVALID_PARAMETER)
    if "caption" in media:
        _string(media["caption"], "Caption", LIMITS.caption, minimum=0)
    if "link" in media:
        link = media["link"]
        if not isinstance(link, str) or not link.startswith(("https://", "http://")):
            raise invalid(f"Param {kind}['link'] must be a valid http(s) URL.", E.INVALID_PARAMETER)
        if "api.telegram.org/file/bot" in link:  # stricter than Meta: that URL carries the Telegram bot token
            raise invalid("Refusing a Telegram file URL as a media link (it leaks the bot token).",
                          E.INVALID_PARAMETER)
        return
    stored = lookup.media(str(media["id"]))
    if stored is None:
        raise invalid(f"Param {kind}['id'] is not a valid whatsapp business account media attachment ID",
                      E.INVALID_PARAMETER)
    if kind not in MESSAGE_TYPES_FOR_MIME.get(stored.mime_type, ()):
        raise GraphError(400, E.MEDIA_UPLOAD_ERROR, f"Media of type {stored.mime_type} cannot be sent as {kind}.")


def _check_location(part: Any) -> None:
    location = _obj(part, "location")
    for name in ("latitude", "longitude"):
        if not isinstance(location.get(name), (int, float, str)):
            raise missing(f"location['{name}']")


def _check_reaction(part: Any) -> None:
    reaction = _obj(part, "reaction")
    if not isinstance(reaction.get("message_id"), str):
        raise missing("reaction['message_id']")
    if not isinstance(reaction.get("emoji"), str):
        raise missing("reaction['emoji']")
