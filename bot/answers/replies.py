"""Compose answers from catalogue entries as channel-neutral blocks and buttons.

Nothing here knows about Telegram or HTML: renderers (bot/answers/plain.py) turn a Reply into what a channel shows.
Facts marked uncertain in the catalogue are always shown as such, with the date they were last checked, and
the firm's details are shown only once they are real (placeholders are never shown to users, and office hours
only once `hours.confirmed` is true in firm.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.actions import Action, Section
from bot.knowledge.catalogue import Answer as CatalogueAnswer
from bot.knowledge.catalogue import Appointment, Catalogue, Entry, Fee, Item, Kind, is_placeholder
from bot.clock import Clock, SystemClock, local_today
from bot.texts import Texts


class Style(str, Enum):
    TITLE = "title"
    SUBTITLE = "subtitle"
    HEADING = "heading"
    TEXT = "text"
    BULLETS = "bullets"
    NOTE = "note"


@dataclass(frozen=True)
class Block:
    style: Style
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Button:
    """A choice offered to the user; `action` is a short id (it becomes Telegram's callback_data, max 64 bytes)."""

    label: str
    action: str


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Block, ...]
    buttons: tuple[Button, ...] = ()
    language: str = "es"


@dataclass
class _Builder:
    """Accumulates blocks and remembers whether any uncertain fact was shown (for the footer)."""

    blocks: list[Block] = field(default_factory=list)
    uncertain_dates: list = field(default_factory=list)

    def add(self, style: Style, *lines: str) -> None:
        lines = tuple(line for line in lines if line)
        if lines:
            self.blocks.append(Block(style, lines))


class Composer:
    def __init__(self, catalogue: Catalogue, texts: Texts, clock: Clock | None = None):
        self.catalogue = catalogue
        self.t = texts
        self.clock: Clock = clock or SystemClock()   # which year it is: a fee for an earlier year may have changed

    # ------------------------------------------------------------------ entries
    def entry(self, entry: Entry, lang: str, *, full: bool, lead: Section | None = None,
              appointment_first: bool = False) -> Reply:
        """The answer for one entry: the overview, or with `full` every section (terminal, `ask`).

        A question about one aspect of a procedure gets that aspect first, then the overview: `lead` (fees and
        deadlines, or what to prepare) or `appointment_first` (the appointment badge: "do I need an appointment?").
        """
        b = _Builder()
        answered = None   # the aspect already answered at the top
        if entry.kind is Kind.PROCEDURE:
            if lead in (Section.FEES, Section.REQUIREMENTS):
                self._section_body(b, entry, lead, lang)
                answered = lead
            elif appointment_first and entry.appointment is not None:
                self._appointment(b, entry, lang)
                answered = "appointment"
        self._title(b, entry, lang)
        if entry.kind is Kind.TOPIC:
            self._topic_body(b, entry, lang)
            return self._finish(b, lang, self._topic_buttons(entry, lang))
        if entry.kind is Kind.REFERRAL:
            self._referral_body(b, entry, lang)
            return self._finish(b, lang, (Button(self.t(lang, "button.contact"), Action.CONTACT),))
        if answered != "appointment":
            self._appointment(b, entry, lang)
        b.add(Style.TEXT, entry.summary.get(lang))
        if entry.applies_to:
            b.add(Style.HEADING, self.t(lang, "section.applies_to"))
            b.add(Style.TEXT, entry.applies_to.get(lang))
        sections = self._order(entry, lead, full)
        if answered in sections:
            sections.remove(answered)
        if not full and Section.FEES not in sections and answered is not Section.FEES:
            self._items(b, entry, entry.deadlines, lang, self.t(lang, "section.deadlines"))  # essential; fees wait
        for section in sections:
            self._section_body(b, entry, section, lang)
        if entry.window is not None:  # "tell me your date": the bot works out the user's own window
            b.add(Style.TEXT, self.t(lang, f"window.ask.{entry.window.given.value}"))
        if full:
            self._contact(b, lang, heading=True)
            self._sources(b, entry, lang)
        shown = set(sections) | ({answered} if isinstance(answered, Section) else set())
        buttons = () if full else self._entry_buttons(entry, lang, exclude=shown)
        return self._finish(b, lang, buttons)

    def specific(self, entry: Entry, answer: CatalogueAnswer, lang: str, *, full: bool = False) -> Reply:
        """Answer first: the short answer is the first block (with the badge of a case that has its own appointment
        rule: a late renewal inside a regularisation needs one), then one line naming the procedure and its section
        buttons; with `full` (terminal, `ask`) the whole entry follows instead."""
        b = _Builder()
        lines = [self._item_line(b, entry, answer.item, lang)]
        if answer.appointment is not None:
            lines.append(self.t(lang, f"appointment.{answer.appointment.value}",
                                date=self.t.date(lang, entry.reviewed)))
            if answer.appointment is Appointment.UNCONFIRMED:
                b.uncertain_dates.append(entry.reviewed)
        b.add(Style.TEXT, *lines)
        if full:
            rest = self.entry(entry, lang, full=True)
            footer = self.t(lang, "uncertain.footer", date=self.t.date(lang, entry.reviewed))
            blocks = (*b.blocks, *rest.blocks)
            if b.uncertain_dates and not any(footer in block.lines for block in rest.blocks):
                blocks = (*blocks, Block(Style.NOTE, (footer,)))
            return Reply(blocks, rest.buttons, lang)
        b.add(Style.NOTE, self.t(lang, "specific.pointer", name=self._name(entry, lang)))
        return self._finish(b, lang, (Button(self.t(lang, "button.overview"), Action.entry(entry.id)),
                                      *self._entry_buttons(entry, lang, exclude=set())))

    def section(self, entry: Entry, section: Section, lang: str) -> Reply:
        """One part of an entry, for a button press."""
        if section is Section.OVERVIEW:
            return self.entry(entry, lang, full=False)
        b = _Builder()
        b.add(Style.SUBTITLE, self.t(lang, "followup.which_entry", name=self._name(entry, lang)))
        self._section_body(b, entry, section, lang)
        return self._finish(b, lang, self._entry_buttons(entry, lang, exclude={section}))

    def _order(self, entry: Entry, lead: Section | None, full: bool) -> list[Section]:
        if full:
            order = [Section.REQUIREMENTS, Section.FEES]
            if entry.appointment is not Appointment.NOT_REQUIRED:
                order.append(Section.STEPS)
            if lead in order:
                order.remove(lead)
                order.insert(0, lead)
            return order
        return [lead] if lead in (Section.REQUIREMENTS, Section.FEES, Section.STEPS) else []

    def _section_body(self, b: _Builder, entry: Entry, section: Section, lang: str) -> None:
        if section is Section.REQUIREMENTS:
            self._items(b, entry, entry.requirements, lang, self.t(lang, "section.requirements"))
            self._items(b, entry, entry.notes, lang, self.t(lang, "section.notes"))
        elif section is Section.FEES:
            self._items(b, entry, entry.deadlines, lang, self.t(lang, "section.deadlines"))
            self._fees(b, entry, lang)
        elif section is Section.STEPS:
            self._portal_steps(b, lang)

    def _title(self, b: _Builder, entry: Entry, lang: str) -> None:
        b.add(Style.TITLE, entry.name.get(lang))
        if lang == "en" and entry.kind is Kind.PROCEDURE:
            b.add(Style.SUBTITLE, self.t(lang, "official_name", name=entry.name.es))

    def _name(self, entry: Entry, lang: str) -> str:
        return entry.name.get(lang)

    def _appointment(self, b: _Builder, entry: Entry, lang: str) -> None:
        """The entry's badge, then each case whose appointment rule differs from it (never a badge the body
        contradicts)."""
        if entry.appointment is None:
            return
        self._badge(b, entry, entry.appointment, lang)
        for answer in entry.answers:
            if answer.appointment is not None and answer.appointment is not entry.appointment and answer.case:
                b.add(Style.TEXT, self.t(lang, f"appointment.case.{answer.appointment.value}",
                                         case=answer.case.get(lang).rstrip("."),
                                         date=self.t.date(lang, entry.reviewed)))
                if answer.appointment is Appointment.UNCONFIRMED:
                    b.uncertain_dates.append(entry.reviewed)

    def _badge(self, b: _Builder, entry: Entry, appointment: Appointment, lang: str) -> None:
        b.add(Style.TEXT, self.t(lang, f"appointment.{appointment.value}", date=self.t.date(lang, entry.reviewed)))
        if appointment is Appointment.UNCONFIRMED:
            b.uncertain_dates.append(entry.reviewed)

    def _item_line(self, b: _Builder, entry: Entry, item: Item, lang: str) -> str:
        text = item.text.get(lang)
        if item.uncertain:
            b.uncertain_dates.append(entry.reviewed)
            return f"{text} ({self.t(lang, 'uncertain.mark', date=self.t.date(lang, entry.reviewed))})"
        return text

    def _items(self, b: _Builder, entry: Entry, items: tuple[Item, ...], lang: str, heading: str) -> None:
        if items:
            b.add(Style.HEADING, heading)
            b.add(Style.BULLETS, *(self._item_line(b, entry, item, lang) for item in items))

    def _fee_line(self, b: _Builder, entry: Entry, fee: Fee, lang: str) -> str:
        concept = fee.concept.get(lang)
        if fee.amount_mxn is None:
            line = self.t(lang, "fee.no_amount", concept=concept, year=fee.year)
        else:
            amount = f"{fee.amount_mxn:,.2f}".removesuffix(".00")
            line = self.t(lang, "fee.amount", concept=concept, amount=amount, year=fee.year)
        extras = []
        if fee.note:
            extras.append(fee.note.get(lang).rstrip("."))
        if fee.year < local_today(self.clock).year:  # from 1 January of a later year, until staff update `year:`
            b.uncertain_dates.append(entry.reviewed)     # unconfirmed for this year: the dated footer says so
            extras.append(self.t(lang, "fee.old_year", year=fee.year, since=fee.year + 1))
        if fee.uncertain:
            b.uncertain_dates.append(entry.reviewed)
            extras.append(self.t(lang, "uncertain.mark", date=self.t.date(lang, entry.reviewed)))
        return f"{line} ({'; '.join(extras)})" if extras else line

    def _fees(self, b: _Builder, entry: Entry, lang: str) -> None:
        b.add(Style.HEADING, self.t(lang, "section.fees"))
        if entry.fees:
            b.add(Style.BULLETS, *(self._fee_line(b, entry, fee, lang) for fee in entry.fees))
        else:
            b.add(Style.TEXT, self.t(lang, "fees.none"))

    def _portal_steps(self, b: _Builder, lang: str) -> None:
        citas = self.catalogue.entries.get("citas")
        if citas is None:
            return
        self._items(b, citas, citas.steps, lang, self.t(lang, "section.steps"))
        self._items(b, citas, citas.known_problems, lang, self.t(lang, "section.known_problems"))

    def _sources(self, b: _Builder, entry: Entry, lang: str) -> None:
        if entry.sources:
            b.add(Style.HEADING, self.t(lang, "sources"))
            b.add(Style.BULLETS, *entry.sources)

    # ------------------------------------------------------------------ topics
    def _topic_body(self, b: _Builder, entry: Entry, lang: str) -> None:
        b.add(Style.TEXT, entry.summary.get(lang))
        self._items(b, entry, entry.steps, lang, self.t(lang, "section.steps"))
        self._items(b, entry, entry.known_problems, lang, self.t(lang, "section.known_problems"))
        if entry.id == "citas":
            self._appointment_lists(b, lang)
        self._items(b, entry, entry.notes, lang, self.t(lang, "section.notes"))
        if entry.id in ("contacto", "oficinas"):
            self._contact(b, lang, heading=entry.id != "contacto")

    def _referral_body(self, b: _Builder, entry: Entry, lang: str) -> None:
        """Who handles it (never an INM procedure), where to go, and what the firm can still do."""
        b.add(Style.SUBTITLE, self.t(lang, "referral.not_inm"))
        b.add(Style.TEXT, entry.summary.get(lang))
        self._items(b, entry, entry.steps, lang, self.t(lang, "referral.where"))
        self._items(b, entry, entry.notes, lang, self.t(lang, "referral.firm_can"))
        b.add(Style.NOTE, self.t(lang, "referral.checked", date=self.t.date(lang, entry.reviewed)))

    def _appointment_lists(self, b: _Builder, lang: str) -> None:
        for appointment, key in ((Appointment.REQUIRED, "section.with_appointment"),
                                 (Appointment.NOT_REQUIRED, "section.without_appointment")):
            names = [e.name.get(lang) for e in self.catalogue.procedures(appointment)]
            if names:
                b.add(Style.HEADING, self.t(lang, key))
                b.add(Style.BULLETS, *names)

    def _topic_buttons(self, entry: Entry, lang: str) -> tuple[Button, ...]:
        if entry.id == "contacto":
            return ()
        return (Button(self.t(lang, "button.contact"), Action.CONTACT),)

    # ------------------------------------------------------------------ the firm
    def _contact(self, b: _Builder, lang: str, *, heading: bool, in_chat: bool = True) -> None:
        firm = self.catalogue.firm
        if heading:
            b.add(Style.HEADING, self.t(lang, "section.contact"))
        b.add(Style.TEXT, firm.description.get(lang))
        cities = ", ".join(o.city.get(lang) for o in firm.offices)
        details = [self.t(lang, "contact.offices", cities=cities)]
        for key in ("email", "phone", "website"):
            value = getattr(firm, key)
            if not is_placeholder(value):
                details.append(self.t(lang, f"contact.{key}", **{key: value}))
        hours = firm.confirmed_hours  # None while the hours in firm.yaml are only an assumption
        if hours is not None:
            details.append(self.t(lang, "contact.hours", days=self.t.weekdays(lang, hours.days),
                                  open=hours.open.strftime("%H:%M"), close=hours.close.strftime("%H:%M")))
        b.add(Style.BULLETS, *details)
        if not in_chat:  # e.g. the terminal: no person reads this chat, say so
            b.add(Style.TEXT, self.t(lang, "contact.no_chat"))
        else:
            b.add(Style.TEXT, self.t(lang, "contact.in_chat" if hours is not None else "contact.in_chat_asap"))

    def contact(self, lang: str, *, in_chat: bool = True) -> Reply:
        """The firm's contact; `in_chat` says whether a person can answer in this very chat."""
        b = _Builder()
        b.add(Style.TITLE, self.t(lang, "section.contact"))
        self._contact(b, lang, heading=False, in_chat=in_chat)
        b.add(Style.TEXT, self.t(lang, "contact.pitch"))
        return self._finish(b, lang, ())

    # ------------------------------------------------------------------ choices and fallbacks
    def ambiguous(self, entry_ids: tuple[str, ...], lang: str, *, numbered: bool = False,
                  question: str | None = None) -> Reply:
        """"Which one?": the question that decides (a locale key; by default "which one did you mean?"), who each
        choice is for, and a button per choice."""
        b = _Builder()
        b.add(Style.TITLE, self.t(lang, question or "ambiguous.title"))
        for entry_id in entry_ids:  # what decides between them: who each one is for
            entry = self.catalogue.entries[entry_id]
            if entry.applies_to is not None:
                b.add(Style.HEADING, entry.name.get(lang))
                b.add(Style.TEXT, entry.applies_to.get(lang))
        b.add(Style.TEXT, self.t(lang, "ambiguous.number_hint" if numbered else "ambiguous.hint"))
        buttons = tuple(Button(self.catalogue.entries[i].name.get(lang), Action.entry(i)) for i in entry_ids)
        return self._finish(b, lang, buttons)

    def fallback(self, lang: str) -> Reply:
        b = _Builder()
        b.add(Style.TITLE, self.t(lang, "fallback.title"))
        b.add(Style.TEXT, self.t(lang, "fallback.body"), self.t(lang, "fallback.offer"))
        return self._finish(b, lang, (Button(self.t(lang, "button.menu"), Action.MENU),
                                      Button(self.t(lang, "button.contact"), Action.CONTACT)))

    def simple(self, lang: str, key: str, *, buttons: tuple[Button, ...] = (), **values: object) -> Reply:
        """A one-paragraph reply from a locale key (greeting, help, empty message...)."""
        return Reply((Block(Style.TEXT, (self.t(lang, key, **values),)),), buttons, lang)

    def menu_buttons(self, lang: str) -> tuple[Button, ...]:
        return (Button(self.t(lang, "menu.with_appointment"), Action.MENU_WITH),
                Button(self.t(lang, "menu.without_appointment"), Action.MENU_WITHOUT),
                Button(self.t(lang, "menu.topics"), Action.MENU_TOPICS))

    def menu(self, lang: str, which: str | None = None) -> Reply:
        """The catalogue as buttons, for users who prefer tapping to typing."""
        b = _Builder()
        b.add(Style.TITLE, self.t(lang, "menu.title"))
        if which is None:
            return self._finish(b, lang, self.menu_buttons(lang))
        if which == Action.MENU_WITH:
            entries = self.catalogue.procedures(Appointment.REQUIRED)
        elif which == Action.MENU_WITHOUT:
            entries = [e for e in self.catalogue.procedures() if e.appointment is not Appointment.REQUIRED]
        else:
            entries = self.catalogue.topics()
        buttons = tuple(Button(e.name.get(lang), Action.entry(e.id)) for e in entries)
        return self._finish(b, lang, buttons + (Button(self.t(lang, "button.back"), Action.MENU),))

    def _entry_buttons(self, entry: Entry, lang: str, exclude: set[Section]) -> tuple[Button, ...]:
        buttons = []
        wanted = [(Section.REQUIREMENTS, "button.requirements")]
        if entry.appointment is not Appointment.NOT_REQUIRED:
            wanted.append((Section.STEPS, "button.steps"))
        wanted.append((Section.FEES, "button.fees"))
        for section, key in wanted:
            if section not in exclude:
                buttons.append(Button(self.t(lang, key), Action.section(entry.id, section)))
        buttons.append(Button(self.t(lang, "button.contact"), Action.CONTACT))
        return tuple(buttons)

    def _finish(self, b: _Builder, lang: str, buttons: tuple[Button, ...]) -> Reply:
        if b.uncertain_dates:
            b.add(Style.NOTE, self.t(lang, "uncertain.footer", date=self.t.date(lang, max(b.uncertain_dates))))
        return Reply(tuple(b.blocks), tuple(buttons), lang)
