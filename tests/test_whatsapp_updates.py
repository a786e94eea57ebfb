"""Unit tests of bot/channels/whatsapp/updates.py over realistic Cloud API webhook bodies (2026 shapes)."""

from __future__ import annotations

import copy
import json

import pytest

from bot.channels.whatsapp.updates import Kind, parse_webhook

PHONE_ID = "106540352242922"
ANA_CONTACT = {"profile": {"name": "Ana"}, "wa_id": "5213312345678", "user_id": "MX.1502576394655843"}


def envelope(value: dict, field: str = "messages") -> dict:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "5213300000000", "phone_number_id": PHONE_ID}, **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": field}]}]}


def inbound(message: dict, contacts: list | None = None) -> dict:
    base = {"from": "5213312345678", "from_user_id": "MX.1502576394655843", "id": "wamid.A1",
            "timestamp": "1796000000"}
    return envelope({"contacts": [ANA_CONTACT] if contacts is None else contacts,
                     "messages": [{**base, **message}]})


def one(body: dict | bytes | str):
    batch = parse_webhook(body)
    assert not batch.problems, batch.problems
    assert len(batch.messages) == 1
    return batch.messages[0]


def test_text_keeps_ids_as_received():
    message = one(json.dumps(inbound({"type": "text", "text": {"body": "hola, ¿cuánto cuesta?"}})).encode())
    assert (message.wamid, message.kind, message.text, message.timestamp) == (
        "wamid.A1", Kind.TEXT, "hola, ¿cuánto cuesta?", 1796000000)
    assert message.sender.wa_id == "5213312345678"            # the Mexican 521… id, never rewritten
    assert message.sender.user_id == "MX.1502576394655843"
    assert message.sender.key == "MX.1502576394655843"
    assert message.sender.name == "Ana"
    assert message.phone_number_id == PHONE_ID


def test_legacy_contact_without_user_id():
    contact = {"profile": {"name": "Beto"}, "wa_id": "5215511112222"}
    body = envelope({"contacts": [contact], "messages": [
        {"from": "5215511112222", "id": "wamid.B", "timestamp": "1796000001", "type": "text",
         "text": {"body": "hi"}}]})
    message = one(body)
    assert (message.sender.user_id, message.sender.wa_id, message.sender.key, message.sender.name) == (
        None, "5215511112222", "5215511112222", "Beto")


def test_bsuid_only_user():
    contact = {"profile": {"name": "Luz", "username": "luz.mx"}, "user_id": "MX.9000000000000007",
               "parent_user_id": "MX.ENT.77"}
    body = envelope({"contacts": [contact], "messages": [
        {"from_user_id": "MX.9000000000000007", "id": "wamid.C", "timestamp": "1796000002", "type": "text",
         "text": {"body": "hola"}}]})
    sender = one(body).sender
    assert (sender.wa_id, sender.user_id, sender.key) == (None, "MX.9000000000000007", "MX.9000000000000007")
    assert (sender.name, sender.username, sender.parent_user_id) == ("Luz", "luz.mx", "MX.ENT.77")


def test_contacts_are_matched_to_their_message():
    other = {"profile": {"name": "Beto"}, "wa_id": "5215511112222", "user_id": "MX.2"}
    body = envelope({"contacts": [other, ANA_CONTACT], "messages": [
        {"from": "5213312345678", "id": "wamid.D", "timestamp": "1", "type": "text", "text": {"body": "x"}}]})
    sender = one(body).sender
    assert (sender.name, sender.user_id) == ("Ana", "MX.1502576394655843")


def test_button_and_list_replies():
    context = {"from": "5213300000000", "id": "wamid.BOT"}
    tap = one(inbound({"type": "interactive", "context": context, "interactive": {
        "type": "button_reply", "button_reply": {"id": "s:visa:r", "title": "Requisitos"}}}))
    assert (tap.kind, tap.choice_id, tap.choice_title, tap.context_id) == (
        Kind.BUTTON, "s:visa:r", "Requisitos", "wamid.BOT")
    row = one(inbound({"type": "interactive", "context": context, "interactive": {
        "type": "list_reply", "list_reply": {"id": "e:canje", "title": "Canje", "description": "Por vínculo"}}}))
    assert (row.kind, row.choice_id, row.choice_title, row.choice_description) == (
        Kind.LIST, "e:canje", "Canje", "Por vínculo")
    template_button = one(inbound({"type": "button", "button": {"payload": "read_reply", "text": "Ver"}}))
    assert (template_button.kind, template_button.choice_id, template_button.choice_title) == (
        Kind.BUTTON, "read_reply", "Ver")


@pytest.mark.parametrize("kind, part, expected", [
    ("image", {"caption": "mi pasaporte", "mime_type": "image/jpeg", "sha256": "abc", "id": "111"},
     dict(kind="image", media_id="111", mime_type="image/jpeg", caption="mi pasaporte")),
    ("audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc", "id": "222", "voice": True},
     dict(kind="audio", media_id="222", voice=True)),
    ("video", {"mime_type": "video/mp4", "sha256": "abc", "id": "333"}, dict(kind="video", media_id="333")),
    ("document", {"filename": "cita.pdf", "mime_type": "application/pdf", "sha256": "abc", "id": "444"},
     dict(kind="document", filename="cita.pdf", caption=None)),
    ("sticker", {"mime_type": "image/webp", "sha256": "abc", "id": "555", "animated": True},
     dict(kind="sticker", animated=True)),
])
def test_media(kind, part, expected):
    message = one(inbound({"type": kind, kind: part}))
    assert message.kind is Kind.MEDIA
    for name, value in expected.items():
        assert getattr(message.media, name) == value
    assert message.text == part.get("caption")


def test_location_and_reaction():
    place = one(inbound({"type": "location", "location": {
        "latitude": 20.6736, "longitude": -103.344, "name": "INM", "address": "Av. Juárez"}}))
    assert (place.kind, place.location.latitude, place.location.name) == (Kind.LOCATION, 20.6736, "INM")
    reaction = one(inbound({"type": "reaction", "reaction": {"message_id": "wamid.BOT", "emoji": "👍"}}))
    assert (reaction.kind, reaction.reaction.message_id, reaction.reaction.emoji) == (
        Kind.REACTION, "wamid.BOT", "👍")
    removed = one(inbound({"type": "reaction", "reaction": {"message_id": "wamid.BOT", "emoji": ""}}))
    assert removed.reaction.emoji is None


def test_unsupported_keeps_its_error():
    message = one(inbound({"type": "unsupported", "unsupported": {"type": "poll_creation"}, "errors": [
        {"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
         "error_data": {"details": "Message type is currently not supported."}}]}))
    assert message.kind is Kind.UNSUPPORTED and message.raw_type == "unsupported"
    assert (message.errors[0].code, message.errors[0].details) == (131051, "Message type is currently not supported.")


@pytest.mark.parametrize("message", [
    {"type": "contacts", "contacts": [{"name": {"formatted_name": "X"}}]},
    {"type": "order", "order": {}},
    {"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {}}},
    {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"title": "no id"}}},
    {"type": "text", "text": {"body": None}},
    {"type": "text"},
    {"type": "image", "image": {"mime_type": "image/jpeg"}},
    {"type": "location", "location": {"latitude": "north"}},
    {"type": "brand_new_type_2027", "brand_new_type_2027": {}},
    {},
])
def test_unknown_or_malformed_content_is_unsupported_not_an_exception(message):
    parsed = one(inbound(message))
    assert parsed.kind is Kind.UNSUPPORTED and parsed.wamid == "wamid.A1"


def test_system_changes_have_no_contacts():
    number = envelope({"messages": [{"from": "5213312345678", "from_user_id": "MX.1502576394655843",
                                     "id": "wamid.S1", "timestamp": "1796000003", "type": "system", "system": {
                                         "body": "User Ana changed from 5213312345678 to 5213399998888",
                                         "wa_id": "5213399998888", "type": "user_changed_number",
                                         "user_id": "MX.77", "previous_user_id": "MX.1502576394655843"}}]})
    change = one(number)
    assert change.kind is Kind.SYSTEM
    assert (change.system.type, change.system.new_wa_id, change.system.new_user_id,
            change.system.previous_user_id) == ("user_changed_number", "5213399998888", "MX.77",
                                                 "MX.1502576394655843")
    assert (change.sender.wa_id, change.sender.name) == ("5213312345678", None)
    legacy = one(envelope({"messages": [{"from": "5213312345678", "id": "wamid.S2", "timestamp": "1",
                                         "type": "system", "system": {"body": "changed", "new_wa_id": "5213399",
                                                                      "type": "user_changed_number"}}]}))
    assert legacy.system.new_wa_id == "5213399"
    user_id = one(envelope({"messages": [{"from_user_id": "MX.1", "id": "wamid.S3", "timestamp": "1",
                                          "type": "system", "system": {"type": "user_changed_user_id",
                                                                       "user_id": "MX.2",
                                                                       "previous_user_id": "MX.1"}}]}))
    assert (user_id.system.type, user_id.system.new_user_id, user_id.sender.key) == (
        "user_changed_user_id", "MX.2", "MX.1")


def test_statuses():
    body = envelope({"statuses": [
        {"id": "wamid.OUT1", "status": "delivered", "timestamp": "1796000004", "recipient_id": "5213312345678",
         "recipient_user_id": "MX.1502576394655843",
         "pricing": {"billable": True, "pricing_model": "PMP", "category": "service", "type": "regular"}},
        {"id": "wamid.OUT2", "status": "failed", "timestamp": "1796000005", "recipient_id": "5213312345678",
         "errors": [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
                     "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}]},
        {"id": "wamid.OUT3", "status": "read", "timestamp": "1796000006", "recipient_user_id": "MX.9"},
    ]})
    batch = parse_webhook(body)
    assert not batch.problems and not batch.messages
    delivered, failed, read = batch.statuses
    assert (delivered.wamid, delivered.status, delivered.timestamp, delivered.pricing_category) == (
        "wamid.OUT1", "delivered", 1796000004, "service")
    assert (failed.status, failed.errors[0].code, failed.errors[0].title) == (
        "failed", 131047, "Re-engagement message")
    assert failed.errors[0].details.startswith("Message failed")
    assert (read.recipient_id, read.recipient_user_id) == (None, "MX.9")


def test_messages_and_statuses_in_one_body_and_many_entries():
    first = inbound({"type": "text", "text": {"body": "uno"}})
    second = copy.deepcopy(first)
    second["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.A2"
    second["entry"][0]["changes"][0]["value"]["statuses"] = [{"id": "wamid.X", "status": "sent", "timestamp": 1}]
    first["entry"].append(second["entry"][0])
    batch = parse_webhook(first)
    assert [m.wamid for m in batch.messages] == ["wamid.A1", "wamid.A2"]
    assert [s.status for s in batch.statuses] == ["sent"] and batch.statuses[0].timestamp == 1


@pytest.mark.parametrize("body, reason", [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ({"object": "page", "entry": []}, "unexpected object"),
    ({"object": "whatsapp_business_account", "entry": "x"}, "entry list"),
    ({"object": "whatsapp_business_account", "entry": [1]}, "entry is not an object"),
    (envelope({}, field="account_update"), "not handled"),
    ({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]}, "without a value"),
    (envelope({"messages": [{"type": "text", "text": {"body": "no id"}}]}), "without an id"),
    (envelope({"messages": "nope"}), "message list"),
    (envelope({"statuses": [{"id": "wamid.X", "status": "exploded"}]}), "unknown value"),
    (envelope({"statuses": [{"status": "sent"}]}), "without an id"),
    (envelope({"errors": [{"code": 131000, "title": "Something went wrong"}]}), "webhook error"),
])
def test_malformed_parts_become_problems(body, reason):
    batch = parse_webhook(body)
    assert not batch.messages and not batch.statuses
    assert any(reason in p.reason for p in batch.problems), batch.problems


def test_odd_field_types_do_not_raise():
    body = inbound({"type": "text", "text": {"body": "x"}, "timestamp": "soon", "context": "nope"},
                   contacts=["junk", {"profile": "nope", "wa_id": 5213312345678}])
    message = one(body)
    assert message.timestamp is None and message.context_id is None
    assert message.sender.wa_id == "5213312345678" and message.sender.name is None
