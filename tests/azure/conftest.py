"""The fake Azure on loopback, its CA bundle, an encryption key and a connected workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fake_estate as estate
import pytest
from cryptography.fernet import Fernet
from fake_azure import FakeAzure, start
from tls import Certificates, make_certificates

from cloudoptima import Workspace
from cloudoptima.azure.connections import new_connection
from cloudoptima.azure.options import SyncOptions, Tuning

# Short waits so retry tests take seconds; the fake's Retry-After is 1 s.
FAST = SyncOptions(
    concurrency=4, tuning=Tuning(retry_total=4, retry_backoff=0.05, pause_s=0.2, read_timeout_s=20)
)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def fake(certs: Certificates) -> Iterator[FakeAzure]:
    server, stop = start(certs)
    yield server
    stop()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = Fernet.generate_key().decode()
    monkeypatch.setenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY", value)
    return value


def add_prod(ws: Workspace, fake: FakeAzure, subscriptions: tuple[str, ...] = ()) -> None:
    """The service principal connection 'prod' to the fake, trusted through its CA bundle."""
    connection = new_connection(
        "prod",
        tenant_id=estate.TENANT,
        client_id=estate.CLIENT_ID,
        subscriptions=subscriptions,
        arm_endpoint=fake.url,
        authority_host=fake.url,
        ca_bundle=fake.certs.ca,
    )
    ws.connections.add(connection, estate.SECRET, by="admin")


@pytest.fixture
def connected(tmp_path: Path, fake: FakeAzure, key: str) -> Iterator[Workspace]:
    """A new workspace with the connection 'prod' to every subscription the fake shows."""
    ws = Workspace.open(tmp_path / "ws", create=True)
    add_prod(ws, fake)
    yield ws
    ws.close()
