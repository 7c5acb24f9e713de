"""CloudOptima web app: login, organisation, and the pages (navigation is defined here).

Run with ``streamlit run app.py``; the first start creates an admin with a random
password (printed once in this terminal) and builds the demo estate.
"""

from __future__ import annotations

import streamlit as st

from cloudoptima import CloudOptimaError
from cloudoptima.auth import UserStore
from cloudoptima.first_start import first_start
from cloudoptima.ui.shell import choose_organisation, login, navigation

st.set_page_config(page_title="CloudOptima", page_icon=":material/savings:", layout="wide")


@st.cache_resource(show_spinner=False)
def start_once(credentials: str) -> None:
    """Run the first-start set-up once per server and credentials file."""
    created = first_start(UserStore())
    if created:
        print(
            f"CloudOptima: created user '{created[0]}' with password {created[1]} (shown once)",
            flush=True,
        )


try:
    store = UserStore()
    start_once(str(store.path))
    user = login(store)
    org = choose_organisation(store, user)
    role = store.role(user, org) or "viewer"
    st.sidebar.text(f"{user} · {role}")  # a username is data: text, never Markdown
    navigation(role).run()
except CloudOptimaError as exc:
    st.error(f"CloudOptima could not start: {exc}")
