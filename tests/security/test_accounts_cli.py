"""`cloudoptima users` and `orgs`: concurrent changes are all kept, organisation ids are slugs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest
import yaml
from security_world import Accounts

from cloudoptima import CloudOptimaError
from cloudoptima.auth import UserStore

EVIL = "../../evil org"


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudoptima", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudoptima", *args], capture_output=True, text=True, check=False
    )


def test_eight_concurrent_adds_are_all_kept(accounts: Accounts) -> None:
    names = [f"new{n}" for n in range(8)]
    processes = [_cli("users", "add", name, "--org", "acme") for name in names]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, outputs
    users = accounts.store.users()
    for name, (out, _) in zip(names, outputs, strict=True):
        assert out.startswith(f"created {name} (viewer of acme); password, shown once: ")
        password = out.rsplit(" ", 1)[-1].strip()
        assert bcrypt.checkpw(password.encode(), users[name]["password"].encode())
    assert set(names) <= set(users)
    assert len(users) == 5 + 8


def test_concurrent_adds_of_one_name_create_it_once(accounts: Accounts) -> None:
    processes = [_cli("users", "add", "twin", "--org", "acme") for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in processes]
    created = [out for out, _ in outputs if out.startswith("created twin")]
    assert len(created) == 1  # the others say it exists: no success is reported for nothing
    assert sorted(p.returncode for p in processes) == [0, 2, 2, 2]
    password = created[0].rsplit(" ", 1)[-1].strip()
    stored = accounts.store.users()["twin"]["password"]
    assert bcrypt.checkpw(password.encode(), stored.encode())


def test_organisation_ids_are_slugs_everywhere(accounts: Accounts, tmp_path: Path) -> None:
    before = accounts.store.path.read_bytes(), accounts.store.orgs.path.read_bytes()
    attempts = [
        ("orgs", "add", EVIL, "--workspace", str(tmp_path / "evil")),
        ("users", "add", "eve", "--org", EVIL),
        ("users", "set-role", "val", "viewer", "--org", EVIL),
    ]
    for args in attempts:
        out = _run(*args)
        assert out.returncode == 2, args
        assert out.stderr.startswith(f"Error: {EVIL!r} is not a usable organisation id")
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "evil").exists()
    assert (accounts.store.path.read_bytes(), accounts.store.orgs.path.read_bytes()) == before


def test_a_hand_edited_organisation_id_is_refused(accounts: Accounts) -> None:
    data = yaml.safe_load(accounts.store.orgs.path.read_text())
    data["organisations"][EVIL] = {"name": "Evil", "workspace": "/tmp/evil"}
    accounts.store.orgs.path.write_text(yaml.safe_dump(data))
    out = _run("orgs", "list")
    assert out.returncode == 2
    assert str(accounts.store.orgs.path) in out.stderr
    assert "is not a usable organisation id" in out.stderr


def test_an_old_credentials_file_with_a_bad_organisation_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "credentials.yaml"
    old = {
        "credentials": {"usernames": {}},
        "organisations": {EVIL: {"name": "Evil", "workspace": str(tmp_path / "w")}},
    }
    path.write_text(yaml.safe_dump(old))
    with pytest.raises(CloudOptimaError, match="is not a usable organisation id"):
        UserStore(path)
    assert not (tmp_path / "organisations.yaml").exists()
