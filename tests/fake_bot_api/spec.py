"""Bot API method spec (botapi-methods.json): parameter presence and type validation/coercion.

PTB posts form fields as strings (nested objects JSON-encoded), so values are coerced per the
spec'd type list instead of blindly json-decoding (a text "123" must stay a string).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import invalid
from .models import UploadedFile

SPEC_PATH = Path(__file__).with_name("botapi-methods.json")
_INT_RE = re.compile(r"^-?\d+$")
_PRIMITIVES = ("Integer", "Float", "Boolean", "String", "InputFile")


# Bot API 9.6-10.0 parameters that PTB 22.8 can send but the generated spec file predates
# (types from PTB's signatures). Without them strict mode would flag valid calls.
SUPPLEMENT: dict[str, dict[str, tuple[str, ...]]] = {
    "copyMessage": {"message_effect_id": ("String",)},
    "forwardMessage": {"message_effect_id": ("String",)},
    "getChatAdministrators": {"return_bots": ("Boolean",)},
    "promoteChatMember": {"can_manage_tags": ("Boolean",)},
    "sendPoll": {
        "allows_revoting": ("Boolean",), "allow_adding_options": ("Boolean",),
        "hide_results_until_closes": ("Boolean",), "shuffle_options": ("Boolean",), "members_only": ("Boolean",),
        "correct_option_ids": ("Array of Integer",), "description": ("String",),
        "description_parse_mode": ("String",), "description_entities": ("Array of MessageEntity",),
        "country_codes": ("Array of String",), "explanation_media": ("InputPollMedia",), "media": ("InputPollMedia",),
    },
}


class _Mismatch(Exception):
    """Internal: a value does not fit one candidate type."""


@dataclass(frozen=True)
class Field:
    """One documented parameter."""

    name: str
    required: bool
    types: tuple[str, ...]


@dataclass(frozen=True)
class Method:
    """One documented method with its parameters and return types."""

    name: str
    fields: dict[str, Field]
    returns: tuple[str, ...]


class Spec:
    """Lookup + validation against the generated method list."""

    def __init__(self, methods: dict[str, Method]) -> None:
        self.methods = methods
        self._by_lower = {name.lower(): name for name in methods}

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> Spec:
        """Read the JSON spec once per server."""
        raw = json.loads(path.read_text(encoding="utf-8"))["methods"]
        methods = {
            name: Method(
                name,
                {f["name"]: Field(f["name"], bool(f["required"]), tuple(f["types"])) for f in body["fields"]},
                tuple(body.get("returns", ())),
            )
            for name, body in raw.items()
        }
        spec = cls(methods)
        for method, extra in SUPPLEMENT.items():
            for name, types in extra.items():
                spec.extend(method, name, types)
        return spec

    def extend(self, method: str, name: str, types: tuple[str, ...], *, required: bool = False) -> None:
        """Teach the spec a parameter it lacks (newer Bot API versions)."""
        current = self.methods[method]
        fields = {**current.fields, name: Field(name, required, tuple(types))}
        self.methods[method] = Method(method, fields, current.returns)

    def add_method(self, name: str, fields: list[Field], returns: tuple[str, ...] = ("Boolean",)) -> None:
        """Teach the spec a whole method (otherwise unknown methods answer 404)."""
        self.methods[name] = Method(name, {f.name: f for f in fields}, returns)
        self._by_lower[name.lower()] = name

    def canonical(self, name: str) -> str | None:
        """Telegram method names are case-insensitive."""
        return self._by_lower.get(name.lower())

    def validate(
        self,
        method: str,
        raw: dict[str, Any],
        files: dict[str, UploadedFile],
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        """Return coerced params or raise a 400 ApiError(kind="validation") like Telegram would."""
        spec = self.methods[method]
        params: dict[str, Any] = {}
        for f in spec.fields.values():
            value = raw.get(f.name)
            if value is None and f.name in files and "InputFile" in f.types:
                value = files[f.name]
            if value is None or value == "":
                if f.required:
                    raise invalid("message text is empty" if f.name == "text" else f"{f.name} is empty")
                if value == "" and "String" in f.types:
                    params[f.name] = ""
                continue
            try:
                params[f.name] = coerce(value, f.types, files)
            except _Mismatch:
                shown = value if isinstance(value, UploadedFile) else repr(value)[:60]
                raise invalid(f'parameter "{f.name}" must be {" or ".join(f.types)}, got {shown}') from None
        referenced = _attach_names(params)
        for name, value in raw.items():
            if name in spec.fields or name in referenced:
                continue
            if strict:
                raise invalid(f'unknown parameter "{name}" for method {method} (fake Bot API strict mode)')
            params[name] = guess_json(value)
        return params


def coerce(value: Any, types: tuple[str, ...], files: dict[str, UploadedFile]) -> Any:
    """Try each allowed type, non-String ones first so "123" for Integer-or-String becomes 123."""
    ordered = sorted(types, key=lambda t: t == "String")
    for type_name in ordered:
        try:
            return _coerce_one(value, type_name, files)
        except _Mismatch:
            continue
    raise _Mismatch


def _coerce_one(value: Any, type_name: str, files: dict[str, UploadedFile]) -> Any:
    if type_name.startswith("Array of "):
        items = _as_json(value, list)
        inner = type_name[len("Array of ") :]
        return [_coerce_one(item, inner, files) for item in items]
    if type_name == "Integer":
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value)
        raise _Mismatch
    if type_name == "Float":
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise _Mismatch from None
            if math.isfinite(number):
                return number
        raise _Mismatch
    if type_name == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise _Mismatch
    if type_name == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _Mismatch
    if type_name == "InputFile":
        if isinstance(value, UploadedFile):
            return value
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            return files[value[9:]]
        raise _Mismatch
    return _as_json(value, dict)  # any Telegram object type


def _as_json(value: Any, kind: type) -> Any:
    """Accept a decoded JSON value of `kind`, or a string that decodes to one (form fields)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Mismatch from None
    if not isinstance(value, kind):
        raise _Mismatch
    return value


def guess_json(value: Any) -> Any:
    """Best-effort decode for parameters the spec does not describe (non-strict mode)."""
    if isinstance(value, str) and (value[:1] in ("{", "[", '"') or value in ("true", "false", "null")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, str) and _INT_RE.match(value):
        return int(value)
    return value


def _attach_names(params: dict[str, Any]) -> set[str]:
    """Multipart part names referenced as attach://name inside nested objects (media groups)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, str) and node.startswith("attach://"):
            found.add(node[9:])
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(params)
    return found
