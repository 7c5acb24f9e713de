"""A mistyped ``--workspace`` never creates or writes a workspace where none was meant.

Every command of the command line is classified here (a new command fails the test until
it is): commands that read a workspace must say a folder holds none and exit non-zero;
commands that may create one do so only in a new or empty folder; none writes anything
into a non-empty folder that is not a workspace (``--workspace /etc costs`` as root).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import focus_rows, write_focus

from cloudoptima import Workspace, WorkspaceError
from cloudoptima.cli import main

# command -> extra arguments (a path argument is a callable of the test's folder)
Args = list[str | Callable[[Path], str]]
READS: dict[str, Args] = {
    "anomalies": [],
    "ask": ["how much did we spend last month"],
    "connections add": ["prod", "--default-credential"],
    "connections list": [],
    "connections remove": ["prod"],
    "connections test": ["prod"],
    "costs": [],
    "findings": [],
    "findings set-status": ["idle_vm:abc", "dismissed", "--reason", "lab"],
    "anomalies set-status": ["anomaly:abc", "acknowledged"],
    "forecast": [],
    "imports": [],
    "rate-optimization": [],
    "report": ["--out", lambda tmp: str(tmp / "report.pdf")],
    "showback": ["team"],
    "sync": [],
    "tag-coverage": [],
}
CREATES: dict[str, Args] = {
    "ingest": [lambda tmp: str(write_focus(tmp / "sep.csv", focus_rows(range(1, 3))))],
    "demo": ["--end", "2026-01-10"],
}
# Commands of the accounts store and the server: no --workspace of their own to mistype.
ELSEWHERE = {
    "app",
    "orgs add",
    "orgs list",
    "users add",
    "users list",
    "users remove",
    "users reset-password",
    "users set-role",
}


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names |= _commands(command, f"{full} ")
            if command.invoke_without_command:
                names.add(full)
        else:
            names.add(full)
    return names


def test_every_command_is_classified() -> None:
    assert _commands(main) == set(READS) | set(CREATES) | ELSEWHERE


def _folder(tmp_path: Path, state: str) -> Path:
    folder = tmp_path / state
    if state != "missing":
        folder.mkdir()
    if state == "foreign":  # like /etc: somebody's files, no workspace
        (folder / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
        (folder / "conf.d").mkdir()
        (folder / "conf.d" / "app.conf").write_text("x = 1\n")
    return folder


def _snapshot(folder: Path) -> dict[str, str] | None:
    if not folder.exists():
        return None
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "/"
        for p in sorted(folder.rglob("*"))
    }


def _run(tmp_path: Path, folder: Path, command: str, args: Args) -> tuple[int, str]:
    inputs = tmp_path / "inputs"
    inputs.mkdir(exist_ok=True)
    argv = [a(inputs) if callable(a) else a for a in args]
    out = CliRunner().invoke(main, ["--workspace", str(folder), *command.split(), *argv])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    return out.exit_code, out.output


@pytest.mark.parametrize("state", ["missing", "empty", "foreign"])
@pytest.mark.parametrize("command", sorted(READS))
def test_a_read_command_on_a_folder_without_a_workspace_says_so_and_writes_nothing(
    tmp_path: Path, command: str, state: str
) -> None:
    folder = _folder(tmp_path, state)
    before = _snapshot(folder)
    code, output = _run(tmp_path, folder, command, READS[command])
    assert code != 0
    assert output.splitlines()[-1] == (
        f"Error: {folder} holds no CloudOptima workspace; check --workspace, or create one with "
        "`cloudoptima ingest` or `cloudoptima demo`"
    )
    assert _snapshot(folder) == before


@pytest.mark.parametrize("command", sorted(CREATES))
def test_no_command_creates_a_workspace_in_a_folder_holding_other_files(
    tmp_path: Path, command: str
) -> None:
    folder = _folder(tmp_path, "foreign")
    before = _snapshot(folder)
    code, output = _run(tmp_path, folder, command, CREATES[command])
    assert code != 0
    assert output.splitlines()[-1] == (
        f"Error: {folder} is not empty and holds no CloudOptima workspace; give a new or empty folder"
    )
    assert _snapshot(folder) == before


def test_ingest_creates_a_workspace_in_a_new_folder(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "missing")
    code, output = _run(tmp_path, folder, "ingest", CREATES["ingest"])
    assert code == 0, output
    assert Workspace.open(folder).sql("SELECT count(*) FROM costs").item() == 4


def test_opening_never_creates_unless_asked(tmp_path: Path) -> None:
    for state in ("missing", "empty", "foreign"):
        folder = _folder(tmp_path, state)
        before = _snapshot(folder)
        with pytest.raises(WorkspaceError, match="holds no CloudOptima workspace"):
            Workspace.open(folder)
        assert _snapshot(folder) == before
    with pytest.raises(WorkspaceError, match="is not empty and holds no CloudOptima workspace"):
        Workspace.open(tmp_path / "foreign", create=True)
    assert _snapshot(tmp_path / "foreign") == before


@pytest.mark.skipif(not Path("/etc").is_dir(), reason="no /etc on this system")
@pytest.mark.parametrize("command", ["costs", "imports", "ingest"])
def test_workspace_etc_writes_nothing_into_etc(tmp_path: Path, command: str) -> None:
    etc = Path("/etc")
    before = sorted(p.name for p in etc.iterdir())
    args = READS[command] if command in READS else CREATES[command]
    code, output = _run(tmp_path, etc, command, args)
    assert code != 0
    assert "/etc" in output.splitlines()[-1]
    assert sorted(p.name for p in etc.iterdir()) == before
