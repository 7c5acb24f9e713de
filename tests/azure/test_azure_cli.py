"""The command line contract of connections and sync, run as a real child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fake_estate as estate
import pytest
from fake_azure import FakeAzure

from cloudoptima import Workspace


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudoptima", *args],
        capture_output=True,
        text=True,
        timeout=240,
        input=stdin,
        env={**os.environ, **(env or {})},
    )


def endpoints(fake: FakeAzure) -> list[str]:
    return [
        "--arm-endpoint",
        fake.url,
        "--authority-host",
        fake.url,
        "--ca-bundle",
        str(fake.certs.ca),
    ]


def add(
    ws: Path, fake: FakeAzure, *extra: str, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return run(
        "--workspace",
        str(ws),
        "connections",
        "add",
        "prod",
        "--tenant-id",
        estate.TENANT,
        "--client-id",
        estate.CLIENT_ID,
        *endpoints(fake),
        *extra,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def ws(tmp_path: Path, key: str) -> Path:
    Workspace.open(tmp_path / "ws", create=True).close()
    return tmp_path / "ws"


def test_add_list_test_sync_remove(ws: Path, fake: FakeAzure) -> None:
    added = add(ws, fake, "--client-secret-env", "AZ_SECRET", env={"AZ_SECRET": estate.SECRET})
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added connection prod (service principal)")

    listed = run("--workspace", str(ws), "connections", "list")
    assert listed.returncode == 0
    assert "prod" in listed.stdout
    assert estate.CLIENT_ID in listed.stdout
    assert "all it can see" in listed.stdout

    tested = run("--workspace", str(ws), "connections", "test", "prod")
    assert tested.returncode == 1  # roles are missing on two subscriptions
    lines = tested.stdout.splitlines()
    assert lines[0] == "Signed in. The identity sees 3 subscription(s) in scope."
    assert any(
        "Contoso Dev" in line and "Monitoring Reader is missing, so it cannot read metrics" in line
        for line in lines
    )
    assert any("Contoso Prod" in line and "are all granted" in line for line in lines)
    locked = next(line for line in lines if "Contoso Locked" in line)
    for role in ("Reader", "Cost Management Reader", "Monitoring Reader"):
        assert f"{role} is missing" in locked

    synced = run("--workspace", str(ws), "sync", "--days", "3", "--only", "inventory,costs")
    assert synced.returncode == 1
    assert synced.stdout.startswith(
        "Azure sync of 'prod', 3 subscription(s): inventory: 10 resources"
    )
    assert "FAILED  costs of Contoso Locked" in synced.stderr
    assert (
        "Error: the sync is incomplete; these parts failed and kept their previous data: "
        in synced.stderr
    )
    assert "Traceback" not in synced.stderr
    assert "metrics" not in synced.stdout  # --only left them out

    removed = run("--workspace", str(ws), "connections", "remove", "prod")
    assert removed.returncode == 0
    assert run("--workspace", str(ws), "connections", "list").stdout.startswith(
        "(no Azure connections"
    )
    for out in (added, listed, tested, synced, removed):
        assert estate.SECRET not in out.stdout + out.stderr


def test_the_secret_comes_from_stdin(ws: Path, fake: FakeAzure) -> None:
    added = add(ws, fake, "--client-secret-stdin", stdin=estate.SECRET + "\n")
    assert added.returncode == 0, added.stderr
    connection = Workspace.open(ws).connections
    assert connection.secret("prod") == estate.SECRET
    synced = run("--workspace", str(ws), "sync", "--connection", "prod", "--only", "inventory")
    assert "inventory: 10 resources" in synced.stdout


def test_a_secret_is_never_an_option_value(ws: Path, fake: FakeAzure) -> None:
    refused = add(ws, fake, "--client-secret", estate.SECRET)
    assert refused.returncode == 2
    assert "No such option '--client-secret'" in refused.stderr
    assert estate.SECRET not in refused.stderr
    missing = add(ws, fake, "--client-secret-env", "NOT_SET_ANYWHERE")
    assert missing.returncode == 2
    assert (
        missing.stderr == "Error: the environment variable NOT_SET_ANYWHERE is not set or empty\n"
    )
    both = add(ws, fake, "--client-secret-stdin", "--default-credential", stdin="x")
    assert "give exactly one of" in both.stderr
    assert Workspace.open(ws).connections.all() == []


def test_without_a_key_the_command_says_how_to_make_one(
    ws: Path, fake: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDOPTIMA__CONNECTIONS__ENCRYPTION_KEY")
    refused = add(ws, fake, "--client-secret-env", "AZ_SECRET", env={"AZ_SECRET": estate.SECRET})
    assert refused.returncode == 2
    assert "Fernet.generate_key()" in refused.stderr
    assert estate.SECRET not in refused.stderr


def test_bad_sync_options_are_one_sentence(ws: Path, fake: FakeAzure) -> None:
    add(ws, fake, "--client-secret-env", "AZ_SECRET", env={"AZ_SECRET": estate.SECRET})
    bad = run("--workspace", str(ws), "sync", "--only", "costs,bills")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "Error: --only takes inventory, metrics, costs (comma separated), not 'bills'"
    )
    other = run("--workspace", str(ws), "sync", "--connection", "nope")
    assert (
        other.stderr.strip()
        == "Error: there is no Azure connection named 'nope'; name one of: prod"
    )
