"""Load and validate the procedure catalogue kept as YAML in knowledge/.

Staff edit those files by hand, so every mistake is reported with the file, the entry and what is wrong,
and start-up stops before anything else is touched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Iterable

import yaml

from bot.languages import LANGUAGES
from bot.knowledge.window_rules import WindowRule, parse_window
PLACEHOLDER_MARK = "PLACEHOLDER"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
URL_PATTERN = re.compile(r"^https?://\S+$")

PROCEDURE_IDS_WITH_APPOINTMENT = (
    "canje", "renovacion", "temporal_a_permanente", "unidad_familiar_permanente", "unidad_familiar_temporal",
    "visitante_a_residente", "estudiante_a_temporal", "reposicion", "notificacion_cambios", "permiso_trabajo",
)
PROCEDURE_IDS_WITHOUT_APPOINTMENT = (
    "regularizacion_documento_vencido", "regularizacion_vinculo_familiar", "regularizacion_programa_especial",
    "constancia_empleador", "actualizacion_constancia_empleador",
)
PROCEDURE_IDS_UNCONFIRMED = ("permiso_salida_regreso", "visas")
TOPIC_IDS = ("citas", "oficinas", "contacto", "suscripcion")
REQUIRED_IDS = PROCEDURE_IDS_WITH_APPOINTMENT + PROCEDURE_IDS_WITHOUT_APPOINTMENT + PROCEDURE_IDS_UNCONFIRMED + TOPIC_IDS


class Kind(str, Enum):
    PROCEDURE = "procedure"
    TOPIC = "topic"
    REFERRAL = "referral"    # a question another authority handles: who, and what the firm can still do


class Appointment(str, Enum):
    REQUIRED = "required"
    NOT_REQUIRED = "not_required"
    UNCONFIRMED = "unconfirmed"


class KnowledgeError(Exception):
    """The knowledge files cannot be used; the message lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("knowledge is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Text:
    """One piece of text in both languages."""

    es: str
    en: str

    def get(self, language: str) -> str:
        return self.es if language == "es" else self.en


@dataclass(frozen=True)
class Item:
    """A fact shown to users; `uncertain` facts are shown as such, with the entry's review date."""

    text: Text
    uncertain: bool = False
    source: str | None = None


@dataclass(frozen=True)
class Answer:
    """A short answer to one specific question ("can I renew past four years?"), with the phrasings that ask it.

    A case that differs from its entry on appointments ("my card expired while I was abroad" is a late renewal,
    which needs one, inside a regularisation, which does not) carries its own `appointment` and names the `case`:
    its answer shows its own badge and the entry's overview names the exception.
    """

    asks: dict[str, tuple[str, ...]]
    item: Item
    appointment: "Appointment | None" = None
    case: Text | None = None
    id: str = ""          # unique within the entry (`id:`, else its position): "<entry>.<id>" names it to staff


@dataclass(frozen=True)
class Fee:
    concept: Text
    amount_mxn: float | None
    year: int
    source: str
    uncertain: bool = False
    note: Text | None = None


@dataclass(frozen=True)
class Entry:
    id: str
    kind: Kind
    appointment: Appointment | None
    reviewed: dt.date
    name: Text
    keywords: dict[str, tuple[str, ...]]
    summary: Text
    applies_to: Text | None = None
    requirements: tuple[Item, ...] = ()
    deadlines: tuple[Item, ...] = ()
    fees: tuple[Fee, ...] = ()
    steps: tuple[Item, ...] = ()
    known_problems: tuple[Item, ...] = ()
    notes: tuple[Item, ...] = ()
    sources: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    # `examples` holds the entry's own `examples:` and the questions staff attached (the database's
    # attached_examples, merged in by bot/answers/attached.py); `attached` only the latter
    attached: dict[str, tuple[str, ...]] = field(default_factory=dict)
    file: str = ""
    answers: tuple[Answer, ...] = ()
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)   # real questions that ask for it
    window: WindowRule | None = None          # the user's own deadline, worked out from a date they give
    anchors: dict[str, tuple[str, ...]] = field(default_factory=dict)   # referral: terms only that authority owns


@dataclass(frozen=True)
class Office:
    id: str
    city: Text
    address: str
    notes: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Hours:
    """Opening hours in the firm's time zone; days are ISO weekday numbers (1 = Monday).

    `confirmed` is False while the hours are only an assumption (firm.yaml `hours.confirmed: false`): they must
    then never be shown to users as the firm's hours nor used to tell users when the office opens.
    """

    days: tuple[int, ...]
    open: dt.time
    close: dt.time
    timezone: str
    note: str = ""
    confirmed: bool = False


@dataclass(frozen=True)
class Firm:
    name: str
    description: Text
    email: str
    phone: str
    website: str
    hours: Hours
    offices: tuple[Office, ...]
    file: str = ""

    @property
    def hours_confirmed(self) -> bool:
        """True only once staff have confirmed the office hours in firm.yaml (`hours.confirmed: true`)."""
        return self.hours.confirmed

    @property
    def confirmed_hours(self) -> Hours | None:
        """The office hours if confirmed, else None: what user-facing code (contact, handoff) should use."""
        return self.hours if self.hours.confirmed else None

    @property
    def timezone(self) -> str:
        """The firm's time zone (for staff-facing times); available whether or not the hours are confirmed."""
        return self.hours.timezone


@dataclass(frozen=True)
class Placeholder:
    """A value staff still have to fill in (shown by `python -m bot check`)."""

    file: str
    where: str
    value: str


@dataclass
class Catalogue:
    entries: dict[str, Entry]
    firm: Firm
    placeholders: list[Placeholder] = field(default_factory=list)
    # questions no entry answers (knowledge/out_of_scope.yaml), per language: the classifier's "none" class
    out_of_scope: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, entry_id: str) -> Entry:
        return self.entries[entry_id]

    def procedures(self, appointment: Appointment | None = None) -> list[Entry]:
        return [e for e in self.entries.values()
                if e.kind is Kind.PROCEDURE and (appointment is None or e.appointment is appointment)]

    def topics(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind is Kind.TOPIC]

    def referrals(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind is Kind.REFERRAL]

    def fees_before(self, year: int) -> list[tuple[Entry, int, Fee]]:
        """(entry, index, fee) of every fee whose amount is for a year before `year`: staff confirm the new figure
        and update `year:`; until then users are told the amount may have changed."""
        return [(e, i, fee) for e in self.entries.values() for i, fee in enumerate(e.fees) if fee.year < year]

    def with_windows(self) -> list[Entry]:
        """Procedures with a deadline the bot can work out from a user's date."""
        return [e for e in self.entries.values() if e.window is not None]


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and value.strip().upper().startswith(PLACEHOLDER_MARK)


# --------------------------------------------------------------------------------------------------------------
# Validation helpers: each takes the raw YAML value and a `Problems` collector that knows the file and entry.
# --------------------------------------------------------------------------------------------------------------

class Problems:
    """Collects problems with their location so staff see all of them at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, entry: str | None, message: str) -> None:
        where = f"{file}: entry '{entry}'" if entry else file
        self.items.append(f"{where}: {message}")


class _Ctx:
    def __init__(self, problems: Problems, file: str, entry: str | None):
        self.problems, self.file, self.entry = problems, file, entry

    def error(self, message: str) -> None:
        self.problems.add(self.file, self.entry, message)


def _text(ctx: _Ctx, value: Any, where: str, *, required: bool = True) -> Text | None:
    if value is None:
        if required:
            ctx.error(f"'{where}' is missing")
        return None
    if not isinstance(value, dict):
        ctx.error(f"'{where}' must be a mapping with 'es' and 'en' texts, got {type(value).__name__}")
        return None
    for key in value:
        if key not in LANGUAGES:
            ctx.error(f"'{where}' has unknown language '{key}' (allowed: es, en)")
    texts = {}
    for lang in LANGUAGES:
        raw = value.get(lang)
        if not isinstance(raw, str) or not raw.strip():
            ctx.error(f"'{where}' is missing the '{lang}' translation")
            texts[lang] = ""
        else:
            texts[lang] = " ".join(raw.split()) if "\n" not in raw.strip() else raw.strip()
    return Text(**texts)


def _url(ctx: _Ctx, value: Any, where: str) -> str | None:
    if not isinstance(value, str) or not URL_PATTERN.match(value.strip()):
        ctx.error(f"'{where}' must be an http(s) address, got {value!r}")
        return None
    return value.strip()


def _bool(ctx: _Ctx, value: Any, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        ctx.error(f"'{where}' must be true or false, got {value!r}")
        return False
    return value


def _check_keys(ctx: _Ctx, raw: dict, allowed: Iterable[str], where: str) -> None:
    allowed = set(allowed)
    for key in raw:
        if key not in allowed:
            ctx.error(f"unknown field '{key}' in {where} (allowed: {', '.join(sorted(allowed))})")


ITEM_FIELDS = ("es", "en", "uncertain", "source")


def _items(ctx: _Ctx, value: Any, where: str) -> tuple[Item, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.error(f"'{where}' must be a list")
        return ()
    items = []
    for i, raw in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(raw, dict):
            ctx.error(f"'{here}' must be a mapping with 'es' and 'en'")
            continue
        _check_keys(ctx, raw, ITEM_FIELDS, f"'{here}'")
        text = _text(ctx, {k: raw.get(k) for k in LANGUAGES}, here)
        source = _url(ctx, raw["source"], f"{here}.source") if "source" in raw else None
        if text:
            items.append(Item(text=text, uncertain=_bool(ctx, raw.get("uncertain"), f"{here}.uncertain"),
                              source=source))
    return tuple(items)


FEE_FIELDS = ("concept", "amount_mxn", "year", "source", "uncertain", "note")


def _fees(ctx: _Ctx, value: Any) -> tuple[Fee, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.error("'fees' must be a list")
        return ()
    fees = []
    for i, raw in enumerate(value):
        here = f"fees[{i}]"
        if not isinstance(raw, dict):
            ctx.error(f"'{here}' must be a mapping")
            continue
        _check_keys(ctx, raw, FEE_FIELDS, f"'{here}'")
        concept = _text(ctx, raw.get("concept"), f"{here}.concept")
        amount = raw.get("amount_mxn")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0):
            ctx.error(f"'{here}.amount_mxn' must be a positive number or null, got {amount!r}")
            amount = None
        year = raw.get("year")
        if year is None:
            ctx.error(f"'{here}.year' is missing: write the year the amount is for, such as 2026")
            year = 0
        elif not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
            ctx.error(f"'{here}.year' must be a year such as 2026, got {year!r}")
            year = 0
        source = _url(ctx, raw.get("source"), f"{here}.source")
        note = _text(ctx, raw.get("note"), f"{here}.note", required=False)
        if concept and source:
            fees.append(Fee(concept=concept, amount_mxn=amount, year=year, source=source,
                            uncertain=_bool(ctx, raw.get("uncertain"), f"{here}.uncertain"), note=note))
    return tuple(fees)


def _date(ctx: _Ctx, value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    ctx.error(f"'{where}' must be a date written YYYY-MM-DD, got {value!r}")
    return dt.date.min


def _keywords(ctx: _Ctx, value: Any, where: str = "keywords") -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        ctx.error(f"'{where}' must be a mapping with 'es' and 'en' lists")
        return {lang: () for lang in LANGUAGES}
    for key in value:
        if key not in LANGUAGES:
            ctx.error(f"'{where}' has unknown language '{key}' (allowed: es, en)")
    result = {}
    for lang in LANGUAGES:
        words = value.get(lang)
        if not isinstance(words, list) or not words:
            ctx.error(f"'{where}' is missing the '{lang}' list")
            result[lang] = ()
            continue
        bad = [w for w in words if not isinstance(w, str) or not w.strip()]
        if bad:
            ctx.error(f"'{where}.{lang}' holds empty or non-text values: {bad!r}")
        result[lang] = tuple(w.strip() for w in words if isinstance(w, str) and w.strip())
    return result


ENTRY_FIELDS = ("id", "kind", "appointment", "reviewed", "name", "keywords", "examples", "anchors", "summary",
                "applies_to",
                "requirements", "deadlines", "fees", "steps", "known_problems", "notes", "sources", "related",
                "answers", "window")
ANSWER_FIELDS = ("id", "ask", "es", "en", "source", "uncertain", "appointment", "case")


def _answers(ctx: _Ctx, value: Any) -> tuple[Answer, ...]:
    """`answers:` items: `ask` (phrasings per language), the answer in es and en, its source, `uncertain`."""
    if value is None:
        return ()
    if not isinstance(value, list):
        ctx.error("'answers' must be a list")
        return ()
    found, ids = [], set()
    for i, raw in enumerate(value):
        here = f"answers[{i}]"
        if not isinstance(raw, dict):
            ctx.error(f"'{here}' must be a mapping with 'ask', 'es', 'en' and 'source'")
            continue
        _check_keys(ctx, raw, ANSWER_FIELDS, f"'{here}'")
        answer_id = raw.get("id", str(i))
        if not isinstance(answer_id, str) or not ID_PATTERN.match(answer_id):
            ctx.error(f"'{here}.id' must be lowercase letters, digits and '_', got {answer_id!r}")
            answer_id = str(i)
        elif answer_id in ids:
            ctx.error(f"'{here}.id' repeats '{answer_id}': each answer of an entry needs its own id")
        ids.add(answer_id)
        asks = _keywords(ctx, raw.get("ask"), f"{here}.ask")
        if "source" not in raw:
            ctx.error(f"'{here}.source' is missing: a specific answer must cite where it comes from")
        item = _items(ctx, [{k: raw[k] for k in ("es", "en", "source", "uncertain") if k in raw}], here)
        appointment, case = None, None
        if "appointment" in raw:
            try:
                appointment = Appointment(raw["appointment"])
            except ValueError:
                ctx.error(f"'{here}.appointment' must be 'required', 'not_required' or 'unconfirmed', "
                          f"got {raw['appointment']!r}")
            case = _text(ctx, raw.get("case"), f"{here}.case")   # the overview names the exception by it
        elif "case" in raw:
            ctx.error(f"'{here}.case' only goes with '{here}.appointment' (the case whose appointment differs)")
        if item:
            found.append(Answer(asks, item[0], appointment, case, answer_id))
    return tuple(found)


def _entry(problems: Problems, file: str, raw: Any, index: int) -> Entry | None:
    if not isinstance(raw, dict):
        problems.add(file, None, f"entry #{index + 1} must be a mapping, got {type(raw).__name__}")
        return None
    entry_id = raw.get("id")
    label = entry_id if isinstance(entry_id, str) else f"#{index + 1}"
    ctx = _Ctx(problems, file, label)
    if not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id):
        ctx.error(f"'id' must be lowercase letters, digits and '_', got {entry_id!r}")
    _check_keys(ctx, raw, ENTRY_FIELDS, "the entry")

    try:
        kind = Kind(raw.get("kind"))
    except ValueError:
        ctx.error(f"'kind' must be 'procedure', 'topic' or 'referral', got {raw.get('kind')!r}")
        kind = Kind.TOPIC
    appointment = None
    if kind is Kind.PROCEDURE:
        try:
            appointment = Appointment(raw.get("appointment"))
        except ValueError:
            ctx.error("'appointment' must be 'required', 'not_required' or 'unconfirmed', "
                      f"got {raw.get('appointment')!r}")
        if not raw.get("sources"):
            ctx.error("'sources' is missing: a procedure must cite where its facts come from")
    elif "appointment" in raw:
        ctx.error("'appointment' only applies to procedures")
    if kind is Kind.REFERRAL and not raw.get("sources"):
        ctx.error("'sources' is missing: a referral must cite the authority's own page")

    sources = tuple(s for i, s in enumerate(raw.get("sources") or [])
                    if _url(ctx, s, f"sources[{i}]"))
    related = raw.get("related") or []
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        ctx.error("'related' must be a list of entry ids")
        related = []

    entry = Entry(
        id=label, kind=kind, appointment=appointment,
        reviewed=_date(ctx, raw.get("reviewed"), "reviewed"),
        name=_text(ctx, raw.get("name"), "name") or Text("", ""),
        keywords=_keywords(ctx, raw.get("keywords")),
        examples=_keywords(ctx, raw["examples"], "examples") if "examples" in raw else {},
        anchors=_keywords(ctx, raw["anchors"], "anchors") if "anchors" in raw else {},
        summary=_text(ctx, raw.get("summary"), "summary") or Text("", ""),
        applies_to=_text(ctx, raw.get("applies_to"), "applies_to", required=kind is Kind.PROCEDURE),
        requirements=_items(ctx, raw.get("requirements"), "requirements"),
        deadlines=_items(ctx, raw.get("deadlines"), "deadlines"),
        fees=_fees(ctx, raw.get("fees")),
        steps=_items(ctx, raw.get("steps"), "steps"),
        known_problems=_items(ctx, raw.get("known_problems"), "known_problems"),
        notes=_items(ctx, raw.get("notes"), "notes"),
        sources=sources, related=tuple(related), file=file, answers=_answers(ctx, raw.get("answers")),
        window=parse_window(raw.get("window"), ctx.error),
    )
    if entry.window is not None and kind is not Kind.PROCEDURE:
        ctx.error("'window' only applies to procedures")
    if entry.anchors and kind is not Kind.REFERRAL:
        ctx.error("'anchors' only apply to referrals")
    if kind is not Kind.PROCEDURE and any(a.appointment is not None for a in entry.answers):
        ctx.error("'answers[].appointment' only applies to procedures")
    return entry


FIRM_FIELDS = ("name", "description", "email", "phone", "website", "hours", "offices")
HOURS_FIELDS = ("days", "open", "close", "timezone", "confirmed", "note")
OFFICE_FIELDS = ("id", "city", "address", "notes")
WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def _time(ctx: _Ctx, value: Any, where: str) -> dt.time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 09:00 as sexagesimal 540
        return dt.time(value // 60 % 24, value % 60)
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        ctx.error(f"'{where}' must be a time written HH:MM, got {value!r}")
        return dt.time(0, 0)


def _hours(ctx: _Ctx, raw: Any) -> Hours:
    if not isinstance(raw, dict):
        ctx.error("'hours' must be a mapping with days, open, close and timezone")
        return Hours((1, 2, 3, 4, 5), dt.time(9), dt.time(18), "America/Mexico_City")
    _check_keys(ctx, raw, HOURS_FIELDS, "'hours'")
    days = []
    for day in raw.get("days") or []:
        if str(day).lower()[:3] not in WEEKDAYS:
            ctx.error(f"'hours.days' has unknown day {day!r} (use mon, tue, wed, thu, fri, sat, sun)")
        else:
            days.append(WEEKDAYS[str(day).lower()[:3]])
    if not days:
        ctx.error("'hours.days' must list at least one day")
    timezone = str(raw.get("timezone") or "America/Mexico_City")
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(timezone)
    except Exception:  # noqa: BLE001 - any lookup failure means the name is unusable
        ctx.error(f"'hours.timezone' is not a known time zone: {timezone!r}")
        timezone = "America/Mexico_City"
    opening, closing = _time(ctx, raw.get("open"), "hours.open"), _time(ctx, raw.get("close"), "hours.close")
    if closing <= opening:
        ctx.error("'hours.close' must be later than 'hours.open'")
    note = str(raw.get("note") or "")
    confirmed = raw.get("confirmed")
    if confirmed is None:
        ctx.error("'hours.confirmed' is missing: write 'false' while the hours are an assumption, "
                  "'true' once staff have confirmed them")
        confirmed = False
    elif not isinstance(confirmed, bool):
        ctx.error(f"'hours.confirmed' must be true or false, got {confirmed!r}")
        confirmed = False
    elif confirmed and is_placeholder(note):
        ctx.error("'hours.confirmed' is true but 'hours.note' is still a placeholder: "
                  "update the note or set 'confirmed: false'")
    return Hours(tuple(days), opening, closing, timezone, note, confirmed)


def _firm(problems: Problems, file: str, raw: Any) -> Firm | None:
    ctx = _Ctx(problems, file, "firm")
    if not isinstance(raw, dict):
        ctx.error("the file must be a mapping with the firm's details")
        return None
    _check_keys(ctx, raw, FIRM_FIELDS, "the firm")
    for key in ("name", "email", "phone", "website"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            ctx.error(f"'{key}' is missing (write '{PLACEHOLDER_MARK}: …' until it is known)")
    offices = []
    for i, office in enumerate(raw.get("offices") or []):
        here = f"offices[{i}]"
        if not isinstance(office, dict):
            ctx.error(f"'{here}' must be a mapping")
            continue
        _check_keys(ctx, office, OFFICE_FIELDS, f"'{here}'")
        city = _text(ctx, office.get("city"), f"{here}.city")
        if not isinstance(office.get("id"), str) or not isinstance(office.get("address"), str):
            ctx.error(f"'{here}' needs an 'id' and an 'address'")
            continue
        if city:
            offices.append(Office(office["id"], city, office["address"].strip(),
                                  _items(ctx, office.get("notes"), f"{here}.notes")))
    if not offices:
        ctx.error("'offices' must list at least one office")
    return Firm(
        name=str(raw.get("name", "")).strip(),
        description=_text(ctx, raw.get("description"), "description") or Text("", ""),
        email=str(raw.get("email", "")).strip(), phone=str(raw.get("phone", "")).strip(),
        website=str(raw.get("website", "")).strip(), hours=_hours(ctx, raw.get("hours")),
        offices=tuple(offices), file=file,
    )


# --------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------

def _read_yaml(problems: Problems, path: Path, root: Path) -> Any:
    name = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.add(name, None, f"YAML syntax error{where}: {reason}")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(name, None, f"cannot be read: {exc}")
    return None


def _find_placeholders(value: Any, file: str, where: str, found: list[Placeholder]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _find_placeholders(inner, file, f"{where}.{key}" if where else str(key), found)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _find_placeholders(inner, file, f"{where}[{i}]", found)
    elif is_placeholder(value):
        found.append(Placeholder(file, where, value.strip()))


EXAMPLES_FOLDER = "examples"   # knowledge/examples/: where staff-attached questions were once written (not read)
OUT_OF_SCOPE_FILE = "out_of_scope"


def _out_of_scope(problems: Problems, name: str, raw: Any) -> dict[str, tuple[str, ...]]:
    """`es:` and `en:` lists of questions that no entry answers (everyday life, chit-chat, near misses)."""
    if not isinstance(raw, dict):
        problems.add(name, None, f"the file must be a mapping with 'es' and 'en' lists of questions, "
                                 f"got {type(raw).__name__}")
        return {}
    for key in raw:
        if key not in LANGUAGES:
            problems.add(name, None, f"unknown key {key!r} (allowed: {', '.join(LANGUAGES)})")
    lists = {}
    for lang in LANGUAGES:
        values = raw.get(lang)
        if not isinstance(values, list) or not values:
            problems.add(name, None, f"'{lang}' must be a non-empty list of questions")
            continue
        bad = [v for v in values if not isinstance(v, str) or not v.strip()]
        if bad:
            problems.add(name, None, f"'{lang}' holds empty or non-text values: {bad[:5]!r}")
        lines = [" ".join(v.split()) for v in values if isinstance(v, str) and v.strip()]
        repeated = sorted({line for line in lines if lines.count(line) > 1})
        if repeated:
            problems.add(name, None, f"'{lang}' repeats {repeated[:5]!r}")
        lists[lang] = tuple(dict.fromkeys(lines))
    return lists


def _check_out_of_scope(problems: Problems, name: str, lists: dict[str, tuple[str, ...]],
                        entries: dict[str, Entry]) -> None:
    """A question cannot be both out of scope and an entry's example: say which entry claims it."""
    claimed = {" ".join(q.lower().split()): e.id for e in entries.values() for qs in e.examples.values() for q in qs}
    for lang, lines in lists.items():
        for line in lines:
            owner = claimed.get(" ".join(line.lower().split()))
            if owner is not None:
                problems.add(name, None, f"'{lang}' line {line!r} is also an example of entry '{owner}'")


def load_catalogue(root: Path) -> Catalogue:
    """Read every YAML file under `root`; raise KnowledgeError naming each problem."""
    problems = Problems()
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeError([f"{root}: knowledge folder not found"])
    entries: dict[str, Entry] = {}
    placeholders: list[Placeholder] = []
    firm: Firm | None = None
    out_of_scope: dict[str, tuple[str, ...]] | None = None
    out_of_scope_name = ""

    for path in sorted(root.rglob("*.y*ml")):
        name = str(path.relative_to(root.parent))
        if path.relative_to(root).parts[0] == EXAMPLES_FOLDER:
            continue  # the old home of staff-attached questions: imported into the database at start (attached.py)
        before = len(problems.items)
        raw = _read_yaml(problems, path, root)
        if path.stem == OUT_OF_SCOPE_FILE and path.parent == root:  # read, but a syntax error is reported once
            out_of_scope_name = name
            out_of_scope = _out_of_scope(problems, name, raw) if len(problems.items) == before else {}
            continue
        if raw is None:
            continue
        _find_placeholders(raw, name, "", placeholders)
        if path.stem == "firm" and path.parent == root:
            firm = _firm(problems, name, raw)
            continue
        for i, item in enumerate(raw if isinstance(raw, list) else [raw]):
            entry = _entry(problems, name, item, i)
            if entry is None:
                continue
            if entry.id in entries:
                problems.add(name, entry.id, f"duplicate id: already defined in {entries[entry.id].file}")
                continue
            entries[entry.id] = entry

    for entry in entries.values():
        for rel in entry.related:
            if rel not in entries:
                problems.add(entry.file, entry.id, f"'related' names unknown entry '{rel}'")
        if entry.window is not None and entry.window.missed is not None and entry.window.missed not in entries:
            problems.add(entry.file, entry.id, f"'window.missed' names unknown entry '{entry.window.missed}'")
    missing = [i for i in REQUIRED_IDS if i not in entries]
    if missing:
        problems.add(str(root), None, f"missing catalogue entries: {', '.join(missing)}")
    if firm is None and not problems.items:
        problems.add(str(root), None, "firm.yaml (the firm's details) is missing")
    if out_of_scope is None:
        problems.add(str(root), None, f"{OUT_OF_SCOPE_FILE}.yaml (questions no entry answers: the lists the "
                                      "assistant learns to refuse from) is missing")
    else:
        _check_out_of_scope(problems, out_of_scope_name, out_of_scope, entries)
    if problems.items:
        raise KnowledgeError(problems.items)
    assert firm is not None
    if not firm.hours_confirmed and not any(p.file == firm.file and p.where.startswith("hours") for p in placeholders):
        span = f"{','.join(str(d) for d in firm.hours.days)} {firm.hours.open:%H:%M}-{firm.hours.close:%H:%M}"
        placeholders.append(Placeholder(firm.file, "hours.confirmed",
                                        f"{PLACEHOLDER_MARK}: office hours not confirmed (assumed days {span})"))
    return Catalogue(entries=entries, firm=firm, placeholders=placeholders, out_of_scope=out_of_scope or {})
