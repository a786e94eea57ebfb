"""Unit tests of bot/channels/whatsapp/signature.py: the POST signature and the GET subscription challenge."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.channels.whatsapp.signature import sign, verify_challenge, verify_signature

SECRET = "app-secret"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'
GOOD = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def test_sign_matches_meta_format():
    assert sign(SECRET, BODY) == GOOD


def test_valid_signature():
    assert verify_signature(SECRET, BODY, GOOD)
    assert verify_signature(SECRET, BODY, GOOD.upper().replace("SHA256=", "sha256="))  # hex case does not matter
    assert verify_signature(SECRET, BODY, f" {GOOD} ".strip())


@pytest.mark.parametrize("header", [
    None, "", "sha256=", GOOD[len("sha256="):], "sha1=" + GOOD[7:], "SHA256=" + GOOD[7:], GOOD[:-1] + "0"
    if not GOOD.endswith("0") else GOOD[:-1] + "1", "sha256=zz", "sha256=ñ" + GOOD[8:],
])
def test_bad_or_missing_signatures(header):
    assert not verify_signature(SECRET, BODY, header)


def test_signature_is_over_the_exact_raw_bytes():
    reserialised = b'{"object": "whatsapp_business_account", "entry": []}'
    assert not verify_signature(SECRET, reserialised, GOOD)
    assert not verify_signature("other-secret", BODY, GOOD)
    assert not verify_signature("", BODY, sign("", BODY))  # an unset secret never authenticates


def test_challenge():
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert verify_challenge(params, "tok") == "1158201444"


@pytest.mark.parametrize("params, token", [
    ({"hub.mode": "subscribe", "hub.verify_token": "bad", "hub.challenge": "1"}, "tok"),
    ({"hub.mode": "unsubscribe", "hub.verify_token": "tok", "hub.challenge": "1"}, "tok"),
    ({"hub.verify_token": "tok", "hub.challenge": "1"}, "tok"),
    ({"hub.mode": "subscribe", "hub.challenge": "1"}, "tok"),
    ({"hub.mode": "subscribe", "hub.verify_token": "tok"}, "tok"),
    ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, ""),
    ({"hub.mode": "subscribe", "hub.verify_token": "tök", "hub.challenge": "1"}, "tok"),
])
def test_challenge_refused(params, token):
    assert verify_challenge(params, token) is None
