"""The frame around every page: log-in, log-out, organisation picker and the menu."""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth

from cloudoptima.auth import MAX_LOGIN_ATTEMPTS, UserStore, allowed

COOKIE_NAME = "cloudoptima_auth"
COOKIE_DAYS = 7  # a login cookie lasts a week
_SESSION_KEYS = ("co_org", "authentication_status", "username", "name", "co_password_login")


def login(store: UserStore) -> str:
    """Show the login form until the user is authenticated; return the username."""
    credentials = store.load()["credentials"]
    authenticator = stauth.Authenticate(
        credentials, COOKIE_NAME, store.cookie_key(), COOKIE_DAYS, login_sleep_time=0
    )
    try:
        authenticator.login(
            max_login_attempts=MAX_LOGIN_ATTEMPTS, clear_on_submit=True, callback=_by_password
        )
    except stauth.utilities.LoginError as exc:
        st.error(f"{exc}. Ask an admin to run `cloudoptima users reset-password`.")
    store.save_login_state(credentials)  # failed attempts survive restarts: that is the lockout
    _refuse_stale_cookie(store, authenticator)
    if st.session_state.get("authentication_status") is False:
        st.error("Wrong username or password.")
    if not st.session_state.get("authentication_status"):
        st.stop()
    st.sidebar.button("Log out", key="co_logout", on_click=log_out, args=(store, authenticator))
    return str(st.session_state["username"])


def _by_password(_: dict[str, object]) -> None:
    st.session_state["co_password_login"] = True


def _refuse_stale_cookie(store: UserStore, authenticator: stauth.Authenticate) -> None:
    """A login cookie issued before the user last logged out no longer opens a session.

    The browser deletes the cookie on logout only eventually; this makes logout hold
    on the server whatever the browser kept.
    """
    state = st.session_state
    if not state.get("authentication_status") or state.get("co_password_login"):
        return
    token = authenticator.cookie_controller.get_cookie()
    if not token:
        return  # this session was not opened by a cookie
    issued = float(token.get("exp_date", 0)) - COOKIE_DAYS * 86400
    if issued <= store.logged_out_at(str(state.get("username"))):
        forget_session()
    else:
        state["co_password_login"] = True  # checked once per session


def forget_session() -> None:
    """Drop who is logged in from this browser session."""
    for key in _SESSION_KEYS:
        st.session_state[key] = None
    st.session_state["logout"] = True  # keeps the cookie from logging straight back in


def log_out(store: UserStore, authenticator: stauth.Authenticate) -> None:
    """Forget the session and the login cookie (a callback: it runs before the next run)."""
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
