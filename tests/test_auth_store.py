"""The credentials store: hashing, usernames, last admins, lockout state."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest

from cloudoptima import CloudOptimaError
from cloudoptima.auth import MAX_LOGIN_ATTEMPTS, UserStore, allowed


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    store = UserStore(tmp_path / "creds" / "credentials.yaml")
    store.add_organisation("acme", tmp_path / "acme", "ACME")
    return store


def test_users_get_random_bcrypt_hashed_passwords(store: UserStore) -> None:
    first = store.add_user("Dana", org="acme", role="analyst")
    second = store.add_user("eve", org="acme", role="viewer")
    assert first != second
    assert len(first) >= 16
    dana = store.users()["dana"]  # stored lower-cased, as the login form sends it
    assert bcrypt.checkpw(first.encode(), dana["password"].encode())
    assert first not in store.path.read_text()
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"


def test_bad_input_is_refused(store: UserStore) -> None:
    with pytest.raises(CloudOptimaError, match="not a usable username"):
        store.add_user("bad name", org="acme", role="viewer")
    with pytest.raises(CloudOptimaError, match="unknown role 'owner'"):
        store.add_user("x", org="acme", role="owner")
    with pytest.raises(CloudOptimaError, match="no organisation 'nope'"):
        store.add_user("x", org="nope", role="viewer")
    store.add_user("x", org="acme", role="viewer")
    with pytest.raises(CloudOptimaError, match="exists already"):
        store.add_user("X", org="acme", role="viewer")


def test_the_last_admin_stays(store: UserStore) -> None:
    store.add_user("boss", org="acme", role="admin")
    with pytest.raises(CloudOptimaError, match="last admin"):
        store.remove_user("boss")
    with pytest.raises(CloudOptimaError, match="last admin"):
        store.set_role("boss", "viewer")
    store.add_user("deputy", org="acme", role="viewer")
    store.set_role("deputy", "admin")
    store.set_role("boss", "viewer")
    assert store.role("boss", "acme") == "viewer"


def test_first_start_creates_one_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDOPTIMA_WORKSPACE", str(tmp_path / "ws"))
    store = UserStore(tmp_path / "credentials.yaml")
    created = store.ensure_admin()
    assert created is not None
    assert created[0] == "admin"
    assert store.role("admin", "default") == "admin"
    assert store.organisations()["default"].workspace == tmp_path / "ws"
    assert store.ensure_admin() is None


def test_reset_lifts_a_lockout(store: UserStore) -> None:
    store.add_user("dana", org="acme", role="viewer")
    for _ in range(MAX_LOGIN_ATTEMPTS):
        store.record_failed_login("dana")
    assert store.users()["dana"]["failed_login_attempts"] == MAX_LOGIN_ATTEMPTS
    store.reset_password("dana")
    assert store.users()["dana"]["failed_login_attempts"] == 0


def test_roles() -> None:
    assert allowed("admin", "admin")
    assert allowed("analyst", "change_findings")
    assert not allowed("analyst", "admin")
    assert allowed("viewer", "view")
    assert not allowed("viewer", "analyse")
    assert not allowed(None, "view")
