"""Settings page, Azure connections: an admin adds, tests, syncs and removes one (AppTest).

The connection talks to the fake Azure of tests/azure over loopback HTTPS.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from harness import APP, preset_login
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace
from cloudoptima.auth import UserStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "azure"))
import fake_estate as estate  # the fake Azure lives beside the azure tests
from fake_azure import FakeAzure, start
from tls import make_certificates


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeAzure]:
    server, stop = start(make_certificates(tmp_path / "tls"))
    yield server
    stop()


@pytest.fixture
def orgs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Workspace]:
    """Two organisations with an admin each, and an encryption key."""
    store = UserStore(tmp_path / "credentials.yaml")
    workspaces = {}
    for org, admin in (("contoso", "admin"), ("beta", "bea")):
        workspaces[org] = Workspace.open(tmp_path / org, create=True)
        store.add_organisation(org, workspaces[org].root, org.title())
        store.add_user(admin, org=org, role="admin")
    monkeypatch.setenv("CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(store.path))
    monkeypatch.setenv(
        "CLOUDOPTIMA__AUTH__COOKIE_KEY", "test-cookie-key-long-enough-for-hmac-sha256"
    )
    monkeypatch.setenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY", Fernet.generate_key().decode())
    return workspaces


def settings_as(user: str, org: str) -> AppTest:
    at = preset_login(AppTest.from_file(APP, default_timeout=180), user, org)
    at.run()
    at.switch_page("pages/settings.py").run()
    return at


def page_text(at: AppTest) -> str:
    parts = [
        str(e.value)
        for kind in ("markdown", "caption", "code", "success", "info", "error", "warning", "text")
        for e in at.get(kind)
    ]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(t.value) for t in at.text_input]
    return "\n".join(parts)


def fill(at: AppTest, fake: FakeAzure) -> None:
    at.text_input(key="conn_name").set_value("prod")
    at.text_input(key="conn_tenant").set_value(estate.TENANT)
    at.text_input(key="conn_client").set_value(estate.CLIENT_ID)
    at.text_input(key="conn_secret").set_value(estate.SECRET)
    at.selectbox(key="conn_cloud").set_value("Custom endpoints (Azure Stack Hub)")
    at.text_input(key="conn_arm").set_value(fake.url)
    at.text_input(key="conn_authority").set_value(fake.url)
    at.text_input(key="conn_ca").set_value(str(fake.certs.ca))


def test_an_admin_adds_tests_syncs_and_removes_a_connection(
    orgs: dict[str, Workspace], fake: FakeAzure
) -> None:
    at = settings_as("admin", "contoso")
    assert not at.exception
    assert any(s.value == "Azure connections" for s in at.subheader)
    assert "No Azure connection yet" in page_text(at)
    fill(at, fake)
    at.button(key="conn_add_submit").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Added the connection prod" in at.success[0].value
    table = at.dataframe[-1].value
    assert list(table["Name"]) == ["prod"]
    assert list(table["Sign-in"]) == ["service principal"]
    assert estate.SECRET not in page_text(at)
    assert orgs["contoso"].connections.secret("prod") == estate.SECRET

    at.button(key="conn_test").click().run()
    assert not at.exception
    assert "something a sync needs is missing" in at.warning[0].value
    access = at.dataframe[-1].value
    dev = access[access["Subscription"] == "Contoso Dev"].iloc[0]
    assert dev["Metrics (Monitoring Reader)"] == "missing"
    assert dev["Costs (Cost Management Reader)"] == "granted"

    at.multiselect(key="conn_only").set_value(["inventory"])
    at.number_input(key="conn_days").set_value(2)
    at.button(key="conn_sync").click().run()
    assert not at.exception
    assert "The sync is incomplete" in at.warning[0].value
    lines = [t.value for t in at.text]
    assert lines[0].startswith("Azure sync of 'prod', 3 subscription(s): inventory: 10 resources")
    assert lines[1:] == [
        f"inventory of Contoso Locked ({estate.SUB_LOCKED}): access denied (AuthorizationFailed): "
        "the identity has no role that lets it read inventory here; grant it Reader on the subscription"
    ]
    assert orgs["contoso"].resources().height == 10
    assert estate.SECRET not in page_text(at)

    at.checkbox(key="conn_remove_sure_prod").check().run()
    at.button(key="conn_remove").click().run()
    assert "Removed the connection prod" in at.success[0].value
    assert orgs["contoso"].connections.all() == []


def test_another_organisations_admin_sees_none_of_them(
    orgs: dict[str, Workspace], fake: FakeAzure
) -> None:
    at = settings_as("admin", "contoso")
    fill(at, fake)
    at.button(key="conn_add_submit").click().run()
    other = settings_as("bea", "beta")
    assert not other.exception
    text = page_text(other)
    assert "No Azure connection yet" in text
    assert "prod" not in text
    assert not [s for s in other.selectbox if s.key == "conn_pick"]


def test_without_a_key_the_section_says_how_to_get_one(
    orgs: dict[str, Workspace], fake: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY")
    at = settings_as("admin", "contoso")
    assert "no encryption key is configured" in at.info[-1].value
    fill(at, fake)
    at.button(key="conn_add_submit").click().run()
    assert not at.exception
    assert "without an encryption key" in at.error[0].value
    assert orgs["contoso"].connections.all() == []
