"""``cloudoptima app``: the first start happens before the server answers, and the admin's
password is the last, framed lines of the start-up output."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import bcrypt
import pytest

from cloudoptima import Workspace
from cloudoptima.auth import UserStore

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_until_banner(process: subprocess.Popen[str], deadline: float) -> list[str]:
    """Lines of output up to the banner's closing rule (the second line of '=')."""
    assert process.stdout is not None
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail("the app exited:\n" + "".join(lines))
        lines.append(line.rstrip("\n"))
        if sum(1 for x in lines if x and set(x) == {"="}) == 2:
            return lines
    pytest.fail("no banner in time:\n" + "\n".join(lines))


def test_first_start_prints_the_password_last_and_framed(tmp_path: Path) -> None:
    credentials = tmp_path / "creds" / "credentials.yaml"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "CLOUDOPTIMA__AUTH__CREDENTIALS_FILE": str(credentials),
        "CLOUDOPTIMA_WORKSPACE": str(tmp_path / "workspace"),
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    command = [sys.executable, "-m", "cloudoptima", "app", "--port", str(port)]
    command += ["--address", "127.0.0.1"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        lines = _read_until_banner(process, time.monotonic() + 180)
        start = max(i for i, line in enumerate(lines[:-1]) if line and set(line) == {"="})
        banner = lines[start:]
        assert any("URL: http://127.0.0.1" in line for line in lines[:start])  # Streamlit's first
        assert (
            banner[1]
            == f"| CloudOptima is running at http://127.0.0.1:{port}".ljust(len(banner[0]) - 1)
            + "|"
        )
        password = banner[4].strip("| ").strip()
        stored = UserStore(credentials).users()["admin"]["password"]
        assert bcrypt.checkpw(password.encode(), stored.encode())
        assert not Workspace.open(tmp_path / "workspace").is_empty()  # built before serving
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) is not None
    with socket.socket() as sock:  # the server went with it
        assert sock.connect_ex(("127.0.0.1", port)) != 0
