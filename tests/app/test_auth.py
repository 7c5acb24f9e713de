"""Login, lockout, logout, roles and organisation isolation."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from harness import World, fresh_app, preset_login
from streamlit.testing.v1 import AppTest

from cloudoptima.auth import MAX_LOGIN_ATTEMPTS, UserStore
from cloudoptima.ui.shell import REFUSED


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    username_box, password_box = at.text_input[0], at.text_input[1]
    username_box.input(username)
    password_box.input(password)
    at.button[0].click()
    return at.run()


@pytest.fixture
def private_world(app_env: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserStore:
    """Its own credentials file (lockouts change it), on the shared workspaces."""
    for name in ("credentials.yaml", "organisations.yaml"):
        shutil.copy(app_env.credentials.with_name(name), tmp_path / name)
    store = UserStore(tmp_path / "credentials.yaml")
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    return store


def test_not_logged_in_shows_only_the_login_form(app_env: World) -> None:
    at = fresh_app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.metric
    assert not at.title


def test_login_with_the_right_password_opens_the_overview(
    private_world: UserStore, app_env: World
) -> None:
    at = log_in(fresh_app().run(), "analyst", app_env.passwords["analyst"])
    assert not at.exception
    assert at.title[0].value == "Overview · Contoso Pharma"
    assert "Month to date" in [m.label for m in at.metric]


def test_wrong_password_is_refused(private_world: UserStore) -> None:
    at = log_in(fresh_app().run(), "analyst", "not-the-password")
    assert [e.value for e in at.error] == [REFUSED]
    assert at.error[0].value.startswith("Wrong username or password.")
    assert not at.metric


def test_repeated_failures_lock_the_account_until_reset(
    private_world: UserStore, app_env: World
) -> None:
    at = fresh_app().run()
    for _ in range(MAX_LOGIN_ATTEMPTS):
        at = log_in(at, "viewer", "guess")
    assert private_world.users()["viewer"]["failed_login_attempts"] == MAX_LOGIN_ATTEMPTS
    at = log_in(fresh_app().run(), "viewer", app_env.passwords["viewer"])
    assert [e.value for e in at.error] == [REFUSED]  # the right password, refused all the same
    assert not at.metric
    password = private_world.reset_password("viewer")
    at = log_in(fresh_app().run(), "viewer", password)
    assert not at.error
    assert at.metric


def test_passwords_are_stored_as_bcrypt_hashes(app_env: World) -> None:
    text = app_env.credentials.read_text()
    data = yaml.safe_load(text)
    for name, password in app_env.passwords.items():
        assert password not in text
        assert data["credentials"]["usernames"][name]["password"].startswith("$2b$")


@pytest.mark.parametrize("page", ["data", "settings"])
@pytest.mark.parametrize("user", ["analyst", "viewer"])
def test_non_admins_cannot_open_admin_pages(
    app_as: Callable[..., AppTest], user: str, page: str
) -> None:
    at = app_as(user)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(f"pages/{page}.py")  # not in their navigation at all
    direct = run_page_alone(page, user, "contoso")  # and the page itself refuses them
    assert any("cannot open this page" in e.value for e in direct.error)
    assert not direct.title


def test_admins_have_the_admin_section(app_as: Callable[..., AppTest]) -> None:
    at = app_as("admin", page="settings")
    assert not at.exception
    assert not any("cannot open" in e.value for e in at.error)


def run_page_alone(page: str, user: str, org: str, *, authenticated: bool = True) -> AppTest:
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[2] / "pages" / f"{page}.py"), default_timeout=60
    )
    preset_login(at, user, org)
    if not authenticated:
        at.session_state["authentication_status"] = None
    at.query_params["org"] = org
    return at.run()


def test_a_user_cannot_reach_another_organisation(app_as: Callable[..., AppTest]) -> None:
    # bea belongs to beta only; session state pointing at contoso is overruled
    at = app_as("bea", org="contoso")
    assert not at.exception
    assert at.title[0].value == "Overview · Beta GmbH"
    month_to_date = next(m.value for m in at.metric if m.label == "Month to date")
    assert month_to_date.startswith("EUR ")
    assert at.session_state["co_org"] == "beta"


def test_a_page_run_alone_checks_membership(app_env: World) -> None:
    at = run_page_alone("overview", "bea", "contoso")
    assert [e.value for e in at.error] == ["You are not a member of this organisation."]
    assert not at.metric


def test_no_session_no_data(app_env: World) -> None:
    at = run_page_alone("overview", "admin", "contoso", authenticated=False)
    assert [w.value for w in at.warning] == ["Please log in first."]
    assert not at.metric
