"""User-facing texts per language, kept in bot/locales/*.yaml so they can be edited without code."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from importlib import resources

import yaml

from bot.languages import LANGUAGES


class TextsError(Exception):
    """The locale files disagree (missing key or placeholder); raised at start-up, never mid-conversation."""


@dataclass(frozen=True)
class Texts:
    tables: dict[str, dict[str, object]]

    @classmethod
    def load(cls) -> "Texts":
        tables = {}
        for lang in LANGUAGES:
            raw = resources.files("bot.locales").joinpath(f"{lang}.yaml").read_text(encoding="utf-8")
            tables[lang] = yaml.safe_load(raw)
        texts = cls(tables)
        texts.validate()
        return texts

    def validate(self) -> None:
        for lang in LANGUAGES:
            odd = [k for k in self.tables[lang] if not isinstance(k, str)]
            if odd:  # YAML 1.1 reads yes/no/on/off keys as booleans
                raise TextsError(f"{lang}.yaml: keys must be text, got {odd!r} (quote them)")
        es, en = (set(self.tables[lang]) for lang in LANGUAGES)
        if es != en:
            raise TextsError(f"locale keys differ: only in es {sorted(es - en)}, only in en {sorted(en - es)}")
        for key in es:
            fields = [{f for _, f, _, _ in string.Formatter().parse(str(self.tables[lang][key])) if f}
                      for lang in LANGUAGES]
            if fields[0] != fields[1]:
                raise TextsError(f"locale key {key!r} uses different placeholders: {fields[0]} vs {fields[1]}")

    def __call__(self, language: str, key: str, /, **values: object) -> str:
        template = self.tables[language if language in self.tables else "es"][key]
        return str(template).format(**values) if values else str(template)

    def date(self, language: str, value: dt.date) -> str:
        months = self.tables[language]["months"]
        return f"{value.day} {months[value.month - 1]} {value.year}"

    def weekdays(self, language: str, days: tuple[int, ...]) -> str:
        names = [self(language, f"weekday.{d}") for d in days]
        if len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
            return f"{names[0]}–{names[-1]}"
        return ", ".join(names)
