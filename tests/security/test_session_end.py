"""A password reset, a removal or a role change ends the user's open sessions.

AppTest runs the page script alone after the first run (the page checks the session
too); the browser test (tests/browser/test_sessions.py) shows the same through the
whole app.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from security_world import Accounts, fresh_app, log_in, logged_in_as, shows_login_form
from streamlit.testing.v1 import AppTest

from cloudoptima.auth import UserStore
from cloudoptima.ui.shell import SESSION_ENDED


def _session_of(accounts: Accounts, user: str) -> AppTest:
    """``user`` logged in through the login form, looking at Acme's overview."""
    at = log_in(fresh_app().run(), user, accounts.passwords[user])
    assert not at.exception
    assert at.title[0].value == "Overview · Acme Corp"
    return at


def ended(at: AppTest) -> bool:
    """The session's page says it ended and shows nothing else."""
    return [i.value for i in at.info] == [SESSION_ENDED] and not at.title and not at.metric


CHANGES: dict[str, Callable[[UserStore], object]] = {
    "password reset": lambda store: store.reset_password("val"),
    "removal": lambda store: store.remove_user("val"),
    "role change": lambda store: store.set_role("val", "analyst", org="acme"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_the_next_page_run_after_a_change_shows_the_login_form(
    accounts: Accounts, change: str
) -> None:
    val = _session_of(accounts, "val")
    ann = _session_of(accounts, "ann")
    CHANGES[change](accounts.store)
    val.run()  # val's next page run: any click
    assert not val.exception
    assert ended(val)
    ann.run()  # another user's session goes on
    assert ann.title[0].value == "Overview · Acme Corp"


def test_an_admins_reset_in_the_app_ends_the_members_session(accounts: Accounts) -> None:
    val = _session_of(accounts, "val")
    admin = logged_in_as("bob", "acme")  # bob administers both of val's organisations
    admin.switch_page("pages/settings.py").run()
    admin.selectbox(key="settings_user").set_value("val").run()
    admin.button(key="settings_reset_password").click().run()
    assert not admin.error
    new_password = admin.code[0].value
    val.run()
    assert ended(val)
    val = log_in(fresh_app().run(), "val", accounts.passwords["val"])  # the old one is gone
    assert shows_login_form(val)
    val = log_in(val, "val", new_password)
    assert val.title[0].value == "Overview · Acme Corp"


def test_logging_out_ends_the_users_other_sessions(accounts: Accounts) -> None:
    laptop = _session_of(accounts, "val")
    phone = _session_of(accounts, "val")
    laptop.button(key="co_logout").click().run()
    assert not laptop.title
    phone.run()
    assert ended(phone)


def test_adding_a_membership_does_not_end_sessions(accounts: Accounts) -> None:
    gil = logged_in_as("gil", "globex")
    accounts.store.set_role("gil", "viewer", org="acme")
    gil.run()
    assert gil.title[0].value == "Overview · Globex"


def test_a_session_without_a_login_time_is_no_session(accounts: Accounts) -> None:
    """Only the login code opens sessions; state set any other way opens nothing."""
    at = fresh_app()
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "ann"
    at.session_state["co_org"] = "acme"
    at.run()
    assert shows_login_form(at)
    assert not at.title
