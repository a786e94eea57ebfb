"""Plain records shared by the fake server's modules (recorded calls, uploaded files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part, kept so tests can inspect exactly what the bot uploaded."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"UploadedFile({self.field_name!r}, filename={self.filename!r}, {len(self.data)} bytes)"


@dataclass
class Call:
    """One request the bot made, including refused ones; `time` is time.monotonic()."""

    method: str
    params: dict[str, Any]
    time: float
    response_status: int
    chat_id: int | str | None
    result: Any = None
    error: str | None = None
    error_kind: str | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the fake answered 200 (handy in predicates)."""
        return self.response_status == 200

    def summary(self) -> str:
        """One line for assertion messages."""
        shown = {k: (v if len(repr(v)) < 80 else repr(v)[:77] + "...") for k, v in self.params.items()}
        tail = f" -> {self.response_status} {self.error}" if self.error else f" -> {self.response_status}"
        return f"{self.method}({shown}){tail}"
