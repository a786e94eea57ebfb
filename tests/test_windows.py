"""The user's own window: rules from knowledge, validated; dates read in either language; plain date arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.deadlines.dates import find_date, show
from bot.knowledge.window_rules import Given, Offset, Unit, WindowRule
from bot.deadlines.windows import DateProblem, ReminderKind, Status, add_business_days, add_years, check_given, window_for

from .knowledge_helpers import edit, problems

TODAY = dt.date(2026, 12, 1)
D = dt.date


def _window(catalogue, entry_id: str, given: dt.date):
    entry = catalogue.entries[entry_id]
    return window_for(entry.id, entry.window, given)


# ---------------------------------------------------------------------------------------------- the rules' dates
def test_renewal_opens_thirty_days_before_the_card_expires(catalogue):
    window = _window(catalogue, "renovacion", D(2027, 3, 15))
    assert (window.opens, window.closes) == (D(2027, 2, 13), D(2027, 3, 15))
    assert window.status(TODAY) is Status.UPCOMING
    assert window.reminder_days(TODAY) == [(ReminderKind.OPENS, D(2027, 2, 13)),
                                           (ReminderKind.CLOSING, D(2027, 3, 8)),
                                           (ReminderKind.LAST_DAY, D(2027, 3, 14))]


def test_canje_and_notification_count_calendar_days_from_the_users_date(catalogue):
    assert _window(catalogue, "canje", D(2026, 11, 10)).closes == D(2026, 12, 10)
    assert _window(catalogue, "notificacion_cambios", D(2026, 10, 1)).closes == D(2026, 12, 30)
    canje = _window(catalogue, "canje", D(2026, 11, 10))
    assert canje.status(TODAY) is Status.OPEN and canje.days_left(TODAY) == 9
    assert canje.status(D(2026, 12, 5)) is Status.CLOSING_SOON
    assert canje.status(D(2026, 12, 11)) is Status.MISSED and canje.reminder_days(D(2026, 12, 11)) == []


def test_temporary_to_permanent_opens_thirty_days_before_the_card_expires_and_closes_on_it(catalogue):
    """The 4-year route is filed in the 30 days before the card expires, with a valid card (issue 18): the window
    closes on the expiry date, an expired card means a regularisation, and the rule is marked uncertain."""
    window = _window(catalogue, "temporal_a_permanente", D(2027, 3, 15))
    assert (window.opens, window.closes, window.uncertain) == (D(2027, 2, 13), D(2027, 3, 15), True)
    assert window.reminder_days(TODAY) == [(ReminderKind.OPENS, D(2027, 2, 13)),
                                           (ReminderKind.CLOSING, D(2027, 3, 8)),
                                           (ReminderKind.LAST_DAY, D(2027, 3, 14))]
    assert window.status(D(2027, 3, 16)) is Status.MISSED
    rule = catalogue.entries["temporal_a_permanente"].window
    assert rule.given is Given.CARD_EXPIRY and rule.missed == "regularizacion_documento_vencido"


def test_years_and_business_days():
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_business_days(D(2026, 12, 4), 5) == D(2026, 12, 11)     # Friday + 5 working days
    assert add_business_days(D(2026, 12, 7), -1) == D(2026, 12, 4)     # Monday - 1 = the Friday before
    rule = WindowRule(Given.ENTRY_DATE, closes=Offset(5, Unit.BUSINESS_DAYS))
    assert window_for("x", rule, D(2026, 12, 4)).closes == D(2026, 12, 11)


def test_dates_no_user_means_are_refused(catalogue):
    renewal, canje = catalogue.entries["renovacion"].window, catalogue.entries["canje"].window
    assert check_given(renewal, D(2099, 1, 1), TODAY) is DateProblem.IMPLAUSIBLE
    assert check_given(canje, D(2027, 1, 10), TODAY) is DateProblem.IN_FUTURE      # an arrival still to come
    assert check_given(renewal, D(2026, 11, 1), TODAY) is None                       # expired: missed, not refused


# ---------------------------------------------------------------------------------------------- validation
@pytest.mark.parametrize("old, new, expected", [
    ("opens: {days: -30}", "opens: {weeks: -4}", "'window.opens' has unknown unit 'weeks'"),
    ("opens: {days: -30}", "opens: {days: soon}", "'window.opens.days' must be a whole number of days"),
    ("opens: {days: -30}", "opens: {days: 10}", "'window' opens after it closes (10 > 0 days)"),
    ("given: card_expiry", "given: birthday", "'window.given' must be one of card_expiry"),
    ("missed: regularizacion_documento_vencido", "missed: nothing_like_it",
     "'window.missed' names unknown entry 'nothing_like_it'"),
    ("  closes: {days: 0}", "  closes: {days: 0}\n  colour: red", "unknown field 'colour' in 'window'"),
])
def test_a_bad_window_rule_names_file_entry_and_field(knowledge_copy, old, new, expected):
    edit(knowledge_copy / "procedures" / "renovacion.yaml", old, new)
    message = problems(knowledge_copy)
    assert "knowledge/procedures/renovacion.yaml: entry 'renovacion': " + expected in message


def test_a_window_on_a_topic_is_refused(knowledge_copy):
    with open(knowledge_copy / "topics" / "citas.yaml", "a", encoding="utf-8") as f:
        f.write("\nwindow:\n  given: entry_date\n  closes: {days: 30}\n")
    assert "entry 'citas': 'window' only applies to procedures" in problems(knowledge_copy)


# ---------------------------------------------------------------------------------------------- reading dates
@pytest.mark.parametrize("text, lang, past, expected", [
    ("my card expires March 15 2027", "en", False, D(2027, 3, 15)),
    ("mi tarjeta vence el 3 de febrero", "es", False, D(2027, 2, 3)),
    ("entré a México el 10 de noviembre", "es", True, D(2026, 11, 10)),
    ("me cambié de casa el 1 de octubre", "es", True, D(2026, 10, 1)),
    ("15/03/2027", "es", False, D(2027, 3, 15)),
    ("expires 2027-03-15", "en", False, D(2027, 3, 15)),
    ("llegué hace 2 semanas", "es", True, D(2026, 11, 17)),
    ("my card expires 3/15/27", "en", False, D(2027, 3, 15)),
])
def test_dates_in_users_words(text, lang, past, expected):
    found = find_date(text, lang, TODAY, prefer_past=past)
    assert found is not None and found.date == expected and found.other is None


def test_a_date_that_reads_two_ways_comes_back_with_both():
    found = find_date("my card expires on 03/04", "en", TODAY)
    assert found is not None and {found.date, found.other} == {D(2027, 4, 3), D(2027, 3, 4)}


@pytest.mark.parametrize("text", ["vence en marzo", "vence en 2 años", "I may go on sunday", "31/02/2027", "🙂", ""])
def test_vague_or_impossible_dates_are_not_dates(text):
    assert find_date(text, "es", TODAY) is None


def test_dates_are_shown_in_the_users_language():
    assert show(D(2027, 3, 15), "es") == "15 de marzo de 2027"
    assert show(D(2027, 3, 15), "en") == "March 15, 2027"
    assert show(D(2027, 2, 13), "es", year=False) == "13 de febrero"
