"""Who is asking and which workspace they may read, re-derived on every page run.

The organisation a page shows comes from the logged-in user and the organisations
file; nothing from the URL or a widget is trusted for it. A session that the user's
password reset, role change, removal or logout ended shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cloudoptima.auth import UserStore, allowed
from cloudoptima.auth.sessions import session_stands
from cloudoptima.auth.users import role_in
from cloudoptima.ui.shell import SESSION_ENDED, STARTED, forget_session
from cloudoptima.workspace import Workspace


@dataclass(frozen=True)
class PageContext:
    """The workspace a page may read and the role that says what it may change."""

    ws: Workspace
    username: str
    org: str
    org_name: str
    role: str

    def can(self, action: str) -> bool:
        """True when the user's role allows ``action`` in this organisation."""
        return allowed(self.role, action)


@st.cache_resource(show_spinner=False)
def open_workspace(path: str) -> Workspace:
    """One Workspace per folder for the whole server; its reader is safe across sessions."""
    return Workspace.open(path, create=True)


def page_context(action: str = "view") -> PageContext:
    """The current user's organisation and role, or stop the page with a plain message."""
    state = st.session_state
    username = str(state.get("username") or "") if state.get("authentication_status") else ""
    if not username:
        st.warning("Please log in first.")
        st.stop()
    store = UserStore()
    users = store.users()
    if not session_stands(users.get(username), state.get(STARTED)):
        # the frame (app.py) checks this first; a page reached without it checks again
        forget_session()
        st.info(SESSION_ENDED)
        st.stop()
    org = state.get("co_org")
    role = role_in(users, username, str(org))
    organisation = store.orgs.get(org)
    if role is None or organisation is None:
        st.error("You are not a member of this organisation.")
        st.stop()
    if not allowed(role, action):
        st.error(f"Your role ({role}) cannot open this page.")
        st.stop()
    ws = open_workspace(str(organisation.workspace))
    return PageContext(ws, username, organisation.id, organisation.name, role)
