"""App test harness: two organisations, users of every role, logged-in AppTests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from harness import APP, World, preset_login
from helpers import copy_workspace, focus_rows, write_focus
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace
from cloudoptima.auth import UserStore


@pytest.fixture(scope="session")
def world(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("app")
    contoso = copy_workspace(demo_workspace, root / "contoso")
    beta = Workspace.open(root / "beta", create=True)
    beta.ingest([write_focus(root / "beta.csv", focus_rows(range(1, 11), currency="EUR"))])
    store = UserStore(root / "credentials.yaml")
    store.add_organisation("contoso", contoso.root, "Contoso Pharma")
    store.add_organisation("beta", beta.root, "Beta GmbH")
    passwords = {
        name: store.add_user(name, org="contoso", role=name)
        for name in ("admin", "analyst", "viewer")
    }
    passwords["bea"] = store.add_user("bea", org="beta", role="admin")
    return World(store.path, contoso, beta, passwords)


@pytest.fixture
def app_env(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(world.credentials))
    monkeypatch.setenv(
        "CLOUDOPTIMA__AUTH__COOKIE_KEY", "test-cookie-key-long-enough-for-hmac-sha256"
    )
    return world


@pytest.fixture
def app_as(app_env: World) -> Callable[..., AppTest]:
    """An AppTest of app.py logged in as ``user`` on ``org``, optionally switched to a page."""

    def start(user: str, org: str = "contoso", page: str | None = None) -> AppTest:
        at = preset_login(AppTest.from_file(APP, default_timeout=120), user, org)
        at.run()
        if page is not None:
            at.switch_page(f"pages/{page}.py").run()
        return at

    return start
