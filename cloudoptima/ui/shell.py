"""The frame around every page: log-in, log-out, organisation picker and the menu.

The login form and the login cookie are streamlit-authenticator's; what decides who
gets in is checked here and in :mod:`cloudoptima.auth`, on every page run:

- each failed login is counted in the credentials file in one locked step, so
  parallel attempts all count, and a locked account is refused even with the right
  password (checked under the same lock);
- every refusal says the same sentence and costs the same work (one bcrypt check,
  one locked write), whether the username exists, is locked or the password is wrong;
- the login cookie is read by :func:`cloudoptima.auth.sessions.read_login_cookie`:
  a bad, expired or stale cookie is no login, never an error;
- an open session ends on its next run once the user is removed, or their password,
  a role changes, or they log out elsewhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth

from cloudoptima.auth import UserStore, allowed
from cloudoptima.auth.sessions import COOKIE_DAYS, read_login_cookie, session_stands
from cloudoptima.auth.users import (
    MAX_LOGIN_ATTEMPTS,
    AccountLocked,
    failures,
    spend_a_password_check,
)

COOKIE_NAME = "cloudoptima_auth"
REFUSED = (
    "Wrong username or password. "
    f"After {MAX_LOGIN_ATTEMPTS} failed logins an account is locked until an admin unlocks it."
)
SESSION_ENDED = "Your session has ended. Please log in again."
STARTED = "co_session_started"  # when this session's login happened (epoch seconds)
_SESSION_KEYS = ("co_org", "authentication_status", "username", "name", "email", STARTED)
_log = logging.getLogger(__name__)


def login(store: UserStore) -> str:
    """Show the login form until the user is authenticated; return the username."""
    credentials = store.load()["credentials"]
    users = credentials["usernames"]
    state = st.session_state
    if state.get("authentication_status") and not session_stands(
        users.get(str(state.get("username"))), state.get(STARTED)
    ):
        forget_session()
        st.info(SESSION_ENDED)
    key = store.cookie_key()
    authenticator = stauth.Authenticate(
        credentials, COOKIE_NAME, key, COOKIE_DAYS, auto_hash=False, login_sleep_time=0
    )
    if not state.get("authentication_status"):
        _log_in_by_cookie(users, key)
    if not state.get("authentication_status"):
        _log_in_by_password(store, authenticator, credentials)
    if not state.get("authentication_status"):
        st.stop()
    st.sidebar.button("Log out", key="co_logout", on_click=log_out, args=(store, authenticator))
    return str(state["username"])


def _log_in_by_cookie(users: dict[str, dict[str, Any]], key: str) -> None:
    """Open the session from a valid login cookie; ignore any other cookie."""
    found = read_login_cookie(st.context.cookies.get(COOKIE_NAME), key, users)
    # The widget must not read the cookie itself: a bad one makes it raise.
    st.session_state["logout"] = True
    if found is not None:
        _open_session(found.username, users[found.username], started=found.issued)


def _log_in_by_password(
    store: UserStore, authenticator: stauth.Authenticate, credentials: dict[str, Any]
) -> None:
    """The login form; a submitted attempt is admitted or refused and counted here."""
    state = st.session_state
    started = time.time()  # a password reset after this instant ends the session again
    before = {name: failures(user) for name, user in credentials["usernames"].items()}
    state["authentication_status"] = None  # False is left over from an earlier attempt
    try:
        authenticator.login(
            clear_on_submit=True, callback=_admit(store, started), max_login_attempts=None
        )
    except AccountLocked:
        _refuse()  # the password was right; record_login counted the attempt
        return
    except Exception:  # no library error text reaches a visitor (it goes to the log)
        _log.exception("the login widget failed")
        _refuse()
        return
    if state.get("authentication_status") is False:
        _count_failure(store, credentials, before)
        _refuse()


def _admit(store: UserStore, started: float) -> Callable[[dict[str, Any]], None]:
    """The widget's callback after a matching password: the lockout has the last word."""

    def admit(login: dict[str, Any]) -> None:
        store.record_login(str(login["username"]))  # raises AccountLocked
        st.session_state[STARTED] = started

    return admit


def _count_failure(store: UserStore, credentials: dict[str, Any], before: dict[str, int]) -> None:
    """Count the failed attempt in the file; an unknown username costs the same work.

    The widget counted the attempt in its in-memory copy of the users (that copy is
    not saved: parallel sessions would overwrite each other's counts); which user's
    count moved says who it was.
    """
    counted = [n for n, u in credentials["usernames"].items() if failures(u) > before.get(n, 0)]
    if not counted:  # no such user: the widget checked no password
        spend_a_password_check("")
    store.record_failed_login(counted[0] if counted else None)


def _open_session(username: str, user: dict[str, Any], *, started: float) -> None:
    state = st.session_state
    state["authentication_status"] = True
    state["username"] = username
    state["name"] = user.get("name") or username
    state["email"] = user.get("email")
    state[STARTED] = started


def _refuse() -> None:
    forget_session()
    st.error(REFUSED)


def forget_session() -> None:
    """Drop who is logged in from this browser session."""
    for key in _SESSION_KEYS:
        st.session_state[key] = None
    st.session_state["logout"] = True  # keeps the cookie from logging straight back in


def log_out(store: UserStore, authenticator: stauth.Authenticate) -> None:
    """End the user's sessions and forget the login cookie (a callback: runs before the next run)."""
    store.record_logout(str(st.session_state.get("username")))
    authenticator.logout(location="unrendered")
    forget_session()


def choose_organisation(store: UserStore, username: str) -> str:
    """The user's organisation: picked in the sidebar when they belong to several."""
    orgs = list(store.user_organisations(username))
    if not orgs:
        st.error("Your account belongs to no organisation yet. Ask an admin to add you.")
        st.stop()
    names = {org.id: org.name for org in store.organisations().values()}
    current = st.session_state.get("co_org")
    choice = st.sidebar.selectbox(
        "Organisation",
        orgs,
        index=orgs.index(current) if current in orgs else 0,
        format_func=lambda org: names.get(org, org),
    )
    st.session_state["co_org"] = choice
    return str(choice)


def pages_for(role: str) -> dict[str, list[st.Page]]:
    """The menu of a role: sections of pages (viewers get no Ask or Reports, only admins Admin)."""
    pages = {
        "Overview": [
            st.Page(
                "pages/overview.py", title="Overview", icon=":material/dashboard:", default=True
            )
        ],
        "Optimize": [
            st.Page("pages/costs.py", title="Cost explorer", icon=":material/bar_chart:"),
            st.Page(
                "pages/recommendations.py", title="Recommendations", icon=":material/lightbulb:"
            ),
            st.Page("pages/resources.py", title="Resources", icon=":material/dns:"),
            st.Page("pages/anomalies.py", title="Anomalies", icon=":material/warning:"),
            st.Page("pages/rates.py", title="Rate optimization", icon=":material/percent:"),
            st.Page("pages/tags.py", title="Tags and showback", icon=":material/sell:"),
        ],
        "Forecast": [st.Page("pages/forecast.py", title="Forecast", icon=":material/trending_up:")],
    }
    if allowed(role, "analyse"):
        pages["Ask"] = [st.Page("pages/ask.py", title="Ask", icon=":material/chat:")]
        pages["Reports"] = [
            st.Page("pages/reports.py", title="Reports", icon=":material/picture_as_pdf:")
        ]
    if allowed(role, "admin"):
        pages["Admin"] = [
            st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
            st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
        ]
    return pages


def navigation(role: str) -> st.Page:
    """Register the role's pages and draw the menu in the sidebar; return the current page.

    Streamlit's own sidebar menu is off (config.toml), so before login nobody sees
    the files of pages/ listed.
    """
    pages = pages_for(role)
    current = st.navigation(pages, position="hidden")
    with st.sidebar:
        for section, entries in pages.items():
            st.caption(section)
            for entry in entries:
                st.page_link(entry, label=entry.title, icon=entry.icon)
    return current
