"""Fixtures of the security tests: small estates and a private credentials file."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import focus_rows, write_focus
from security_world import COOKIE_KEY, Accounts

from cloudoptima import Workspace
from cloudoptima.auth import UserStore


@pytest.fixture(scope="session")
def estates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small workspaces, built once and only read."""
    root = tmp_path_factory.mktemp("estates")
    folders = {}
    for org in ("acme", "globex"):
        ws = Workspace.open(root / org, create=True)
        ws.ingest([write_focus(root / f"{org}.csv", focus_rows(range(1, 6)))])
        ws.close()
        folders[org] = root / org
    return folders


@pytest.fixture
def accounts(estates: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Accounts:
    """A fresh credentials file (tests change it) that the app under test reads."""
    store = UserStore(tmp_path / "auth" / "credentials.yaml")
    store.add_organisation("acme", estates["acme"], "Acme Corp")
    store.add_organisation("globex", estates["globex"], "Globex")
    store.add_organisation("initech", tmp_path / "initech", "Initech")
    passwords = {
        "ann": store.add_user("ann", org="acme", role="admin"),
        "bob": store.add_user("bob", org="acme", role="admin"),
        "val": store.add_user("val", org="acme", role="viewer"),
        "gil": store.add_user("gil", org="globex", role="analyst"),
        "gus": store.add_user("gus", org="globex", role="admin"),
    }
    store.set_role("val", "analyst", org="globex")
    store.set_role("bob", "admin", org="globex")
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__COOKIE_KEY", COOKIE_KEY)
    return Accounts(store, passwords)
