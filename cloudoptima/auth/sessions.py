"""Whether a login cookie or an open session still stands for a user.

The login cookie is streamlit-authenticator's: a JWT signed with HS256 that holds
``username`` and ``exp_date`` (expiry, epoch seconds). The app reads it here rather
than through the library, because the library lets some bad cookies raise (a token
signed with ``alg: none``, a token for a removed user). Here any bad or stale cookie
is simply no login.

A session, or a cookie, stands while its user exists and it started after the
user's sessions last ended (``logged_out_at``: creation, logout, password reset or
role change).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

COOKIE_DAYS = 7  # a login cookie lasts a week
_DAY_S = 86_400


@dataclass(frozen=True)
class CookieLogin:
    """The user a valid login cookie names, and when it was issued (epoch seconds)."""

    username: str
    issued: float


def session_stands(user: Mapping[str, Any] | None, started: object) -> bool:
    """True when a session of ``user`` that started at ``started`` may go on.

    A session without a start time (``started`` missing) never stands.
    """
    if user is None or not _is_time(started):
        return False
    return started > float(user.get("logged_out_at") or 0)


def read_login_cookie(
    token: object, key: str, users: Mapping[str, Mapping[str, Any]], now: float | None = None
) -> CookieLogin | None:
    """The login a cookie value stands for, or None for anything bad, expired or stale."""
    claims = _verified_claims(token, key)
    if claims is None:
        return None
    username, expires = claims.get("username"), claims.get("exp_date")
    if not isinstance(username, str) or not _is_time(expires):
        return None
    if expires <= (time.time() if now is None else now):
        return None
    issued = expires - COOKIE_DAYS * _DAY_S
    if not session_stands(users.get(username), issued):
        return None
    return CookieLogin(username, issued)


def _verified_claims(token: object, key: str) -> dict[str, Any] | None:
    """The claims of an HS256 token signed with ``key``, or None."""
    import jwt  # comes with streamlit-authenticator, the app's login library

    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
    except (jwt.PyJWTError, ValueError, TypeError):  # every malformed token, whatever its flaw
        return None
    return claims if isinstance(claims, dict) else None


def _is_time(value: object) -> TypeGuard[float]:
    """An epoch time: a finite number (JSON gives no other kind, but true is an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
