"""Data and Settings pages: uploads and the import log, users and roles, analysis settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import bcrypt
import pytest
from harness import APP, World, frame_with, preset_login, unescape
from helpers import copy_workspace, focus_rows, write_focus
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace
from cloudoptima.auth import UserStore

PAGES = Path(__file__).resolve().parents[2] / "pages"
Private = tuple[Workspace, UserStore, Callable[..., AppTest]]


@pytest.fixture
def private(
    demo_workspace: Workspace,
    app_as: Callable[..., AppTest],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Private:
    """A copy of the demo estate and its own credentials file: tests here may change both."""
    contoso = copy_workspace(demo_workspace, tmp_path / "contoso")
    store = UserStore(tmp_path / "credentials.yaml")
    store.add_organisation("contoso", contoso.root, "Contoso Pharma")
    for name in ("admin", "analyst", "viewer"):
        store.add_user(name, org="contoso", role=name)
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    return contoso, store, app_as


def texts(at: AppTest) -> str:
    """Everything written on the page as text, tables included."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "code", "success", "info", "error")
        for e in at.get(kind)
    ]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


# -- Data ------------------------------------------------------------------------------------


def test_import_log_lists_the_demo_imports(app_as: Callable[..., AppTest]) -> None:
    at = app_as("admin", page="data")
    assert not at.exception
    assert not at.error
    log = frame_with(at, "import_id", "file")
    assert len(log) == 15
    assert set(log["status"]) == {"loaded"}
    assert {"cost", "inventory", "metrics"} <= set(log["kind"])
    assert at.file_uploader(key="data_files").accept_multiple_files
    assert at.button(key="data_import").disabled  # nothing chosen yet
    assert not at.button(key="data_rebuild_demo").disabled  # a demo workspace


def test_admin_uploads_a_focus_export_and_a_bad_file(private: Private, tmp_path: Path) -> None:
    ws, _, app_as = private
    good = write_focus(tmp_path / "june.csv", focus_rows(range(1, 4), month="2025-06")).read_bytes()
    at = app_as("admin", page="data")
    at.file_uploader(key="data_files").set_value(
        [("june.csv", good, "text/csv"), ("notes.csv", b"hello,world\n1,2\n", "text/csv")]
    ).run()
    at.button(key="data_import").click().run()
    assert not at.exception
    assert unescape(at.success[0].value).startswith("june.csv: loaded 6 rows as cost (focus")
    assert unescape(at.error[0].value).startswith("notes.csv: not imported. ")
    assert len(at.error[0].value) > len("notes.csv: not imported. ") + 10  # says why
    log = frame_with(at, "import_id", "file")
    assert list(log["status"][:2]) == ["failed", "loaded"]
    assert any("1 import(s) failed" in w.value for w in at.warning)
    imports = ws.imports()
    assert imports["status"].to_list()[:2] == ["failed", "loaded"]
    assert ws.sql("SELECT count(*) FROM costs WHERE ChargePeriodStart < '2025-07-01'").item() == 6


# -- Settings --------------------------------------------------------------------------------


def test_settings_lists_this_organisations_users_without_hashes(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as("admin", page="settings")
    assert not at.exception
    assert not at.error
    users = at.dataframe[0].value
    assert list(users["username"]) == ["admin", "analyst", "viewer"]
    assert list(users["role"]) == ["admin", "analyst", "viewer"]
    page = texts(at)
    assert "bea" not in page
    assert "$2b$" not in page
    assert at.number_input(key="settings_budget_USD").value == 0.0  # one per currency
    assert "issue" not in page.lower()  # no internal work items in user-facing text


def test_adding_a_user_shows_the_password_once(private: Private) -> None:
    _, store, app_as = private
    at = app_as("admin", page="settings")
    at.text_input(key="settings_new_username").set_value("dana smith")
    at.button(key="settings_add").click().run()
    assert "is not a usable username: use letters, digits" in unescape(at.error[0].value)
    at.text_input(key="settings_new_username").set_value("Dana")
    at.selectbox(key="settings_new_role").set_value("analyst")
    at.button(key="settings_add").click().run()
    assert not at.exception
    assert not at.error
    assert unescape(at.success[0].value).startswith("Added dana as analyst")
    password = at.code[0].value
    stored = store.users()["dana"]
    assert stored["password"].startswith("$2b$")
    assert bcrypt.checkpw(password.encode(), stored["password"].encode())
    assert stored["organisations"] == {"contoso": "analyst"}
    assert "dana" in list(at.dataframe[0].value["username"])
    at.run()
    assert password not in texts(at)


def test_admin_changes_a_role_resets_a_password_and_removes_a_user(private: Private) -> None:
    _, store, app_as = private
    at = app_as("admin", page="settings")
    at.selectbox(key="settings_user").set_value("viewer").run()
    at.selectbox(key="settings_role_viewer").set_value("analyst")
    at.button(key="settings_set_role").click().run()
    assert unescape(at.success[0].value) == "viewer is now analyst in Contoso Pharma."
    assert store.role("viewer", "contoso") == "analyst"
    at.button(key="settings_reset_password").click().run()
    password = at.code[0].value
    assert bcrypt.checkpw(password.encode(), store.users()["viewer"]["password"].encode())
    at.checkbox(key="settings_remove_sure_viewer").check().run()
    at.button(key="settings_remove").click().run()
    assert unescape(at.success[0].value) == "Removed viewer."
    assert "viewer" not in store.users()
    at.selectbox(key="settings_user").set_value("admin").run()
    at.checkbox(key="settings_remove_sure_admin").check().run()
    at.button(key="settings_remove").click().run()
    assert "cannot remove yourself" in unescape(at.error[0].value)
    assert "admin" in store.users()


def test_changed_thresholds_persist_in_the_workspace(private: Private) -> None:
    ws, _, app_as = private
    at = app_as("admin", page="settings")
    at.number_input(key="settings_idle_vm.cpu_p95_percent").set_value(5.0)
    at.text_input(key="settings_required_tags").set_value("env, owner")
    at.button(key="settings_save").click().run()
    assert not at.exception
    assert not at.error
    assert unescape(at.success[0].value).startswith("Saved 2 changed setting(s)")
    settings = ws.settings()
    assert settings["idle_vm.cpu_p95_percent"] == 5.0
    assert settings["required_tags"] == ["env", "owner"]
    assert at.number_input(key="settings_idle_vm.cpu_p95_percent").value == 5.0


@pytest.mark.parametrize("user", ["viewer", "analyst"])
def test_non_admins_get_no_admin_pages(app_as: Callable[..., AppTest], user: str) -> None:
    at = app_as(user)
    for page in ("settings", "data"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")


@pytest.mark.parametrize("user", ["viewer", "analyst"])
@pytest.mark.parametrize("page", ["settings", "data"])
def test_admin_pages_refuse_other_roles_when_opened_directly(
    app_env: object, user: str, page: str
) -> None:
    at = preset_login(
        AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=60), user, "contoso"
    )
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Your role ({user}) cannot open this page."]
    assert not at.dataframe
    assert not at.file_uploader
    assert not at.text_input
    assert not at.subheader
    assert not at.code
    assert not at.button


def test_budgets_are_saved_and_drive_the_forecast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    ws = copy_workspace(world.contoso, tmp_path / "ws")
    store = UserStore(tmp_path / "credentials.yaml")
    store.add_organisation("contoso", ws.root, "Contoso Pharma")
    store.add_user("boss", org="contoso", role="admin")
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    at = preset_login(AppTest.from_file(APP, default_timeout=120), "boss", "contoso")
    at.run()
    at.switch_page("pages/settings.py").run()
    at.number_input(key="settings_budget_USD").set_value(15000.0)
    at.button(key="FormSubmitter:settings_budgets-Save budgets").click().run()
    assert not at.exception
    assert ws.settings()["budgets"] == {"USD": 15000.0}
    at.switch_page("pages/forecast.py").run()
    assert at.number_input(key="forecast_budget_USD").value == 15000.0
    assert any("budget of USD 15,000.00" in m.value for m in at.text)
