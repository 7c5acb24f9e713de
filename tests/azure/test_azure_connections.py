"""Connections: encrypted secrets (round trip, wrong key, missing key), checks, isolation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import fake_estate as estate
import pytest
from cryptography.fernet import Fernet

from cloudoptima import CloudOptimaError, Workspace
from cloudoptima.azure.clouds import resolve_cloud
from cloudoptima.azure.connections import Connections, new_connection
from cloudoptima.azure.secrets import SecretBox

SP = {"tenant_id": estate.TENANT, "client_id": estate.CLIENT_ID}


def stored_secret(ws: Workspace, name: str) -> bytes:
    with sqlite3.connect(ws.root / "state.sqlite") as con:
        row = con.execute("SELECT secret FROM connections WHERE name = ?", [name]).fetchone()
    return bytes(row[0])


def test_a_secret_is_stored_encrypted_and_read_back(workspace: Workspace, key: str) -> None:
    workspace.connections.add(new_connection("prod", **SP), estate.SECRET, by="ann")
    token = stored_secret(workspace, "prod")
    assert estate.SECRET.encode() not in token
    assert Fernet(key.encode()).decrypt(token).decode() == estate.SECRET
    assert workspace.connections.secret("prod") == estate.SECRET
    connection = workspace.connections.get("prod")
    assert (connection.tenant_id, connection.client_id, connection.created_by) == (
        estate.TENANT,
        estate.CLIENT_ID,
        "ann",
    )
    assert estate.SECRET not in repr(connection) + str(connection.describe())
    assert estate.SECRET.encode() not in (workspace.root / "state.sqlite").read_bytes()


def test_without_a_key_storing_a_secret_is_refused_with_how_to_make_one(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY", raising=False)
    with pytest.raises(CloudOptimaError) as caught:
        workspace.connections.add(new_connection("prod", **SP), estate.SECRET)
    message = str(caught.value)
    assert "without an encryption key" in message
    assert "Fernet.generate_key()" in message
    assert "CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY" in message
    assert estate.SECRET not in message
    assert workspace.connections.all() == []  # nothing half-stored


def test_the_default_credential_needs_no_key(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY", raising=False)
    workspace.connections.add(new_connection("msi", default_credential=True, cloud="usgov"))
    connection = workspace.connections.get("msi")
    assert connection.auth == "default-credential"
    assert connection.endpoints.arm_endpoint == "https://management.usgovcloudapi.net"
    assert workspace.connections.secret("msi") is None


def test_a_wrong_key_says_so_without_leaking(
    workspace: Workspace, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.connections.add(new_connection("prod", **SP), estate.SECRET)
    other = Fernet.generate_key().decode()
    monkeypatch.setenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY", other)
    with pytest.raises(CloudOptimaError, match="stored under another key") as caught:
        workspace.connections.secret("prod")
    assert estate.SECRET not in str(caught.value)
    assert other not in str(caught.value)
    monkeypatch.delenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY")
    with pytest.raises(CloudOptimaError, match="no encryption key is configured"):
        workspace.connections.secret("prod")


def test_a_malformed_key_is_named_not_echoed() -> None:
    with pytest.raises(CloudOptimaError, match="is not a Fernet key") as caught:
        SecretBox("not-a-key").encrypt(estate.SECRET)
    assert "not-a-key" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tenant_id": estate.TENANT}, "needs --tenant-id and --client-id"),
        ({**SP, "client_id": "app"}, "is not a GUID"),
        ({**SP, "subscriptions": ["prod"]}, "'prod' is not a subscription id"),
        ({**SP, "arm_endpoint": "https://x"}, "need both --arm-endpoint and --authority-host"),
        ({**SP, "arm_endpoint": "http://x", "authority_host": "https://y"}, "must be an https://"),
        ({**SP, "cloud": "mars"}, "unknown cloud 'mars'"),
        ({**SP, "ca_bundle": "/nowhere/ca.pem"}, "does not exist"),
        ({"default_credential": True, "client_id": estate.CLIENT_ID}, "takes no client id"),
    ],
)
def test_bad_connection_settings_get_one_sentence(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CloudOptimaError, match=message):
        new_connection("prod", **kwargs)  # type: ignore[arg-type]


def test_names_and_subscriptions_are_normalised(tmp_path: Path) -> None:
    with pytest.raises(CloudOptimaError, match="not a usable connection name"):
        new_connection("prod; rm -rf", **SP)
    connection = new_connection(
        "prod",
        **SP,
        subscriptions=[
            f"/subscriptions/{estate.SUB_PROD.upper()}",
            f"{estate.SUB_DEV},{estate.SUB_PROD}",
        ],
    )
    assert connection.subscriptions == (estate.SUB_PROD, estate.SUB_DEV)


def test_custom_endpoints_turn_off_instance_discovery() -> None:
    cloud = resolve_cloud(None, "https://127.0.0.1:8443/", "https://127.0.0.1:8443")
    assert cloud.is_custom
    assert (cloud.arm_endpoint, cloud.scope) == (
        "https://127.0.0.1:8443",
        "https://127.0.0.1:8443/.default",
    )
    assert not resolve_cloud("china").is_custom


def test_a_name_is_taken_once_and_removal_forgets_the_secret(
    workspace: Workspace, key: str
) -> None:
    workspace.connections.add(new_connection("prod", **SP), estate.SECRET)
    with pytest.raises(CloudOptimaError, match="exists; remove it first"):
        workspace.connections.add(new_connection("prod", **SP), "another")
    workspace.connections.remove("prod")
    assert workspace.connections.all() == []
    with sqlite3.connect(workspace.root / "state.sqlite") as con:
        assert con.execute("SELECT count(*) FROM connections").fetchone()[0] == 0
    with pytest.raises(CloudOptimaError, match="no Azure connection named 'prod'"):
        workspace.connections.remove("prod")


def test_another_organisation_neither_sees_nor_uses_a_connection(tmp_path: Path, key: str) -> None:
    acme = Workspace.open(tmp_path / "acme", create=True)
    beta = Workspace.open(tmp_path / "beta", create=True)
    acme.connections.add(new_connection("prod", **SP), estate.SECRET)
    assert [c.name for c in acme.connections.all()] == ["prod"]
    assert beta.connections.all() == []
    with pytest.raises(CloudOptimaError, match="no Azure connection named 'prod'"):
        beta.connections.secret("prod")
    with pytest.raises(CloudOptimaError, match="no Azure connection named 'prod'"):
        beta.sync("prod")
    with pytest.raises(CloudOptimaError, match="no Azure connection yet"):
        beta.sync()
    assert Connections(beta.state).all() == []
