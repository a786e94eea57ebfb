"""Every button action's compact format and its parser, in one place (Telegram callback_data is <= 64 bytes).

Grammar (ids are catalogue ids, broadcast ids or user ids):
  e:<entry>  s:<entry>:<section>  menu[:with|:without|:topics]  contact  lang:<es|en>
  human  nope  sub  sub:t:<topic>  sub:done  forget:yes  forget:no
  bcd:<both|skip|cancel|go|later>:<broadcast>  bcd:aud:<broadcast>:<audience>
  bc:<pause|resume|cancel>:<broadcast>  ho:<take|release>:<user>  ex:<question>[:<entry>|:none]  exa:<question>
  exr:<attached example>
  dl:<entry>:<YYYYMMDD> (this date for that window)  rem:<entry>:<YYYYMMDD> (remind me)  rems  remx:<reminder>
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

from bot.languages import LANGUAGES

MAX_ACTION_BYTES = 64


class Section(str, Enum):
    OVERVIEW = "o"
    REQUIREMENTS = "r"
    FEES = "f"
    STEPS = "s"


class Kind(str, Enum):
    ENTRY = "entry"
    SECTION = "section"
    MENU = "menu"
    CONTACT = "contact"
    LANGUAGE = "language"
    HUMAN = "human"
    SUBSCRIBE = "subscribe"
    TOPIC = "topic"
    TOPICS_DONE = "topics_done"
    FORGET = "forget"
    DRAFT = "draft"
    CONTROL = "control"
    CARD = "card"
    NOT_WHAT_I_ASKED = "not_what_i_asked"
    EXAMPLE = "example"            # ex:<question>: which entry? ex:<question>:<entry> (or :none, out of scope)
    EXAMPLE_ALL = "example_all"    # exa:<question>: every entry to choose from, not only the likely ones
    EXAMPLE_REMOVE = "example_remove"
    DEADLINE = "deadline"          # a date the user confirmed (a button under "03/04: which one?")
    REMIND = "remind"
    REMINDERS = "reminders"
    CANCEL_REMINDER = "cancel_reminder"


DRAFT_STEPS = ("both", "skip", "cancel", "go", "later", "aud")
CONTROLS = ("pause", "resume", "cancel")
CARD_ACTIONS = ("take", "release")
_WORD = re.compile(r"^[a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class Parsed:
    """A parsed button action: its kind, a verb or value, and the id it is about."""

    kind: Kind
    value: str = ""
    target: int | None = None
    extra: str = ""


class Action:
    """Builders for button actions."""

    CONTACT = "contact"
    MENU = "menu"
    MENU_WITH = "menu:with"
    MENU_WITHOUT = "menu:without"
    MENU_TOPICS = "menu:topics"
    HUMAN = "human"
    SUBSCRIBE = "sub"
    TOPICS_DONE = "sub:done"
    FORGET_YES = "forget:yes"
    FORGET_NO = "forget:no"
    NOT_WHAT_I_ASKED = "nope"
    REMINDERS = "rems"

    @staticmethod
    def entry(entry_id: str) -> str:
        return f"e:{entry_id}"

    @staticmethod
    def section(entry_id: str, section: Section) -> str:
        return f"s:{entry_id}:{section.value}"

    @staticmethod
    def language(code: str) -> str:
        return f"lang:{code}"

    @staticmethod
    def topic(topic: str) -> str:
        return f"sub:t:{topic}"

    @staticmethod
    def draft(step: str, broadcast_id: int, audience: str | None = None) -> str:
        return f"bcd:{step}:{broadcast_id}" + (f":{audience}" if audience else "")

    @staticmethod
    def control(verb: str, broadcast_id: int) -> str:
        return f"bc:{verb}:{broadcast_id}"

    @staticmethod
    def card(verb: str, user_id: int) -> str:
        return f"ho:{verb}:{user_id}"

    @staticmethod
    def deadline(entry_id: str, day: dt.date) -> str:
        return f"dl:{entry_id}:{day:%Y%m%d}"

    @staticmethod
    def remind(entry_id: str, day: dt.date) -> str:
        return f"rem:{entry_id}:{day:%Y%m%d}"

    @staticmethod
    def cancel_reminder(reminder_id: int) -> str:
        return f"remx:{reminder_id}"

    @staticmethod
    def example(question_id: int, entry_id: str | None = None) -> str:
        return f"ex:{question_id}" + (f":{entry_id}" if entry_id else "")

    @staticmethod
    def example_all(question_id: int) -> str:
        return f"exa:{question_id}"

    @staticmethod
    def remove_example(example_id: int) -> str:
        return f"exr:{example_id}"


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 18 else None


def parse_day(text: str) -> dt.date | None:
    """The YYYYMMDD date in a button action."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def parse(data: str | None) -> Parsed | None:
    """The action a button carries, or None for anything malformed or forged (the caller refuses it)."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_ACTION_BYTES:
        return None
    head, _, rest = data.partition(":")
    parts = rest.split(":") if rest else []
    if head == "e" and len(parts) == 1 and _WORD.match(parts[0]):
        return Parsed(Kind.ENTRY, parts[0])
    if head == "s" and len(parts) == 2 and _WORD.match(parts[0]) and parts[1] in {s.value for s in Section}:
        return Parsed(Kind.SECTION, parts[0], extra=parts[1])
    if head == "menu" and (not parts or (len(parts) == 1 and parts[0] in ("with", "without", "topics"))):
        return Parsed(Kind.MENU, parts[0] if parts else "")
    if data == Action.CONTACT:
        return Parsed(Kind.CONTACT)
    if head == "lang" and len(parts) == 1 and parts[0] in LANGUAGES:
        return Parsed(Kind.LANGUAGE, parts[0])
    if data == Action.HUMAN:
        return Parsed(Kind.HUMAN)
    if data == Action.NOT_WHAT_I_ASKED:
        return Parsed(Kind.NOT_WHAT_I_ASKED)
    if data == Action.SUBSCRIBE:
        return Parsed(Kind.SUBSCRIBE)
    if data == Action.TOPICS_DONE:
        return Parsed(Kind.TOPICS_DONE)
    if head == "sub" and len(parts) == 2 and parts[0] == "t" and _WORD.match(parts[1]):
        return Parsed(Kind.TOPIC, parts[1])
    if head == "forget" and parts in (["yes"], ["no"]):
        return Parsed(Kind.FORGET, parts[0])
    if head == "bcd" and len(parts) in (2, 3) and parts[0] in DRAFT_STEPS and _number(parts[1]) is not None:
        if (parts[0] == "aud") != (len(parts) == 3) or (len(parts) == 3 and not _WORD.match(parts[2])):
            return None
        return Parsed(Kind.DRAFT, parts[0], _number(parts[1]), parts[2] if len(parts) == 3 else "")
    if head == "bc" and len(parts) == 2 and parts[0] in CONTROLS and _number(parts[1]) is not None:
        return Parsed(Kind.CONTROL, parts[0], _number(parts[1]))
    if head == "ex" and len(parts) in (1, 2) and _number(parts[0]) is not None:
        if len(parts) == 2 and not _WORD.match(parts[1]):
            return None
        return Parsed(Kind.EXAMPLE, parts[1] if len(parts) == 2 else "", _number(parts[0]))
    if head == "exa" and len(parts) == 1 and _number(parts[0]) is not None:
        return Parsed(Kind.EXAMPLE_ALL, target=_number(parts[0]))
    if head == "exr" and len(parts) == 1 and _number(parts[0]) is not None:
        return Parsed(Kind.EXAMPLE_REMOVE, target=_number(parts[0]))
    if head in ("dl", "rem") and len(parts) == 2 and _WORD.match(parts[0]) and parse_day(parts[1]) is not None:
        return Parsed(Kind.DEADLINE if head == "dl" else Kind.REMIND, parts[0], extra=parts[1])
    if data == Action.REMINDERS:
        return Parsed(Kind.REMINDERS)
    if head == "remx" and len(parts) == 1 and _number(parts[0]) is not None:
        return Parsed(Kind.CANCEL_REMINDER, target=_number(parts[0]))
    if head == "ho" and len(parts) == 2 and parts[0] in CARD_ACTIONS and _number(parts[1]) is not None:
        return Parsed(Kind.CARD, parts[0], _number(parts[1]))
    return None
