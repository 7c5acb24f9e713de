"""Any bad or stale login cookie is no login, never an error (the browser test drives the app)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from cloudoptima.auth.sessions import COOKIE_DAYS, CookieLogin, read_login_cookie

KEY = "cookie-key-for-these-tests-long-enough-for-hs256"
NOW = 1_800_000_000.0
USERS: dict[str, dict[str, Any]] = {
    "val": {"logged_out_at": NOW - 3 * 86_400},  # sessions ended three days ago
}


def _signed(claims: dict[str, Any], key: str = KEY) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def _unsigned(claims: dict[str, Any]) -> str:
    """A token with ``alg: none``: the probe that made the app show InvalidAlgorithmError."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _expiring(days_from_now: float) -> float:
    return NOW + days_from_now * 86_400


def test_a_fresh_cookie_of_an_existing_user_logs_in() -> None:
    token = _signed({"username": "val", "exp_date": _expiring(COOKIE_DAYS - 1)})
    assert read_login_cookie(token, KEY, USERS, now=NOW) == CookieLogin("val", NOW - 86_400)


BAD = {
    "alg none": _unsigned({"username": "val", "exp_date": _expiring(6)}),
    "signed with another key": _signed({"username": "val", "exp_date": _expiring(6)}, "k" * 40),
    "garbage": "not-a-token",
    "garbage in three parts": "a.b.c",
    "empty": "",
    "huge": "x" * 100_000,
    "removed user": _signed({"username": "gone", "exp_date": _expiring(6)}),
    "issued before the sessions ended": _signed({"username": "val", "exp_date": _expiring(3)}),
    "expired": _signed({"username": "val", "exp_date": _expiring(-1)}),
    "no expiry": _signed({"username": "val"}),
    "expiry as text": _signed({"username": "val", "exp_date": "tomorrow"}),
    "expiry as true": _signed({"username": "val", "exp_date": True}),
    "no username": _signed({"exp_date": _expiring(6)}),
    "username not text": _signed({"username": ["val"], "exp_date": _expiring(6)}),
    "expired by the jwt exp claim": _signed(
        {"username": "val", "exp_date": _expiring(6), "exp": int(time.time()) - 10}
    ),
}


@pytest.mark.parametrize("cookie", BAD)
def test_a_bad_or_stale_cookie_is_no_login(cookie: str) -> None:
    assert read_login_cookie(BAD[cookie], KEY, USERS, now=NOW) is None


@pytest.mark.parametrize("value", [None, 42, b"bytes", {"username": "val"}])
def test_a_cookie_that_is_not_text_is_no_login(value: object) -> None:
    assert read_login_cookie(value, KEY, USERS, now=NOW) is None
