"""First start on a fresh machine: one admin with a random password, printed once, and the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import APP
from streamlit.testing.v1 import AppTest

from cloudoptima import Workspace
from cloudoptima.auth import UserStore


def test_first_start_creates_the_admin_and_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "CLOUDOPTIMA__AUTH__CREDENTIALS_FILE", str(tmp_path / "creds" / "credentials.yaml")
    )
    monkeypatch.setenv("CLOUDOPTIMA_WORKSPACE", str(tmp_path / "workspace"))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    printed = capsys.readouterr().out
    assert "created user 'admin' with password" in printed
    password = printed.split("with password ")[1].split()[0]
    store = UserStore(tmp_path / "creds" / "credentials.yaml")
    assert store.role("admin", "default") == "admin"
    assert password not in store.path.read_text()
    assert not Workspace.open(tmp_path / "workspace").is_empty()  # the demo estate was built
    AppTest.from_file(APP, default_timeout=180).run()
    assert "created user" not in capsys.readouterr().out  # only once
