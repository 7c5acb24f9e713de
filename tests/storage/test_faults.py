"""Faults of the machine: a full disk, a read-only workspace, a crash. One sentence each,
no temporary file left behind, the live data as it was, the raw archive never truncated.

The full disk is real where the tests may mount a small tmpfs (as root on Linux), and
injected as ``OSError(ENOSPC)`` at each place a write can hit it otherwise.
"""

from __future__ import annotations

import errno
import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers import focus_rows, write_focus
from polars.testing import assert_frame_equal

from cloudoptima import Workspace, WorkspaceError
from cloudoptima.cli import main
from cloudoptima.ingest import archive as archive_module
from cloudoptima.ingest.archive import RawArchive
from cloudoptima.storage import store as store_module

DISK_FULL = OSError(errno.ENOSPC, "No space left on device")


def leftovers(root: Path) -> list[str]:
    """Temporary files of a write that must never outlive it."""
    found = [*root.glob(".db-*"), *root.glob(".CURRENT.tmp"), *root.glob(".import-tmp")]
    found += [*root.glob("raw/.tmp-*")]
    return sorted(p.name for p in found)


def big_export(path: Path, months: int = 6, resources: int = 60) -> Path:
    rows = []
    for month in range(1, months + 1):
        rows += focus_rows(range(1, 29), month=f"2026-{month:02d}", resources=resources)
    return write_focus(path, rows)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs, where the system lets the tests mount one."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux; the injected tests cover it")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_real_full_disk_fails_the_import_in_one_sentence_and_keeps_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    root = small_disk / "ws"
    runner = CliRunner()
    small = write_focus(tmp_path / "small.csv", focus_rows(range(1, 4)))
    assert runner.invoke(main, ["--workspace", str(root), "ingest", str(small)]).exit_code == 0
    before = Workspace.open(root).sql("SELECT * FROM costs ORDER BY ALL")
    big = big_export(tmp_path / "big.csv")  # 4 MB of CSV: its copies cannot all fit
    out = runner.invoke(main, ["--workspace", str(root), "ingest", str(big)])
    assert out.exit_code != 0
    assert "Traceback" not in out.output
    last = out.output.strip().splitlines()[-1]
    assert "the disk is full (no space left on device)" in last, out.output
    assert leftovers(root) == []
    assert [p.name for p in (root / "raw").rglob("*.gz")] == ["small.csv.gz"]
    ws = Workspace.open(root)
    assert_frame_equal(ws.sql("SELECT * FROM costs ORDER BY ALL"), before)
    # the disk has room again once the failed import's files are gone: a small one fits
    again = write_focus(tmp_path / "oct.csv", focus_rows(range(1, 4), month="2026-10"))
    assert runner.invoke(main, ["--workspace", str(root), "ingest", str(again)]).exit_code == 0


def test_a_full_disk_while_copying_the_live_generation_leaves_no_partial_copy(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.ingest([write_focus(tmp_path / "a.csv", focus_rows(range(1, 4)))])
    generation = workspace.data_version

    def copy_half(source: Path, target: Path) -> None:
        Path(target).write_bytes(Path(source).read_bytes()[:4096])  # what fit
        raise DISK_FULL

    monkeypatch.setattr(store_module.shutil, "copyfile", copy_half)
    with pytest.raises(WorkspaceError) as caught:
        workspace.ingest(
            [write_focus(tmp_path / "b.csv", focus_rows(range(1, 4), month="2026-10"))]
        )
    assert str(caught.value) == (
        f"cannot write the workspace {workspace.root}: the disk is full (no space left on "
        "device); free some space and try again"
    )
    assert leftovers(workspace.root) == []
    assert workspace.data_version == generation


def test_a_full_disk_while_archiving_keeps_no_truncated_copy(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = archive_module._Counting.write

    def fills_up(self: Any, data: bytes) -> int:
        if self.written + len(data) > 4096:  # the disk takes what fits, then refuses
            real_write(self, data[: 4096 - self.written])
            raise DISK_FULL
        return real_write(self, data)

    monkeypatch.setattr(archive_module._Counting, "write", fills_up)
    export = big_export(tmp_path / "sep.csv", months=1, resources=40)
    [result] = workspace.ingest([export])
    assert result.status == "failed"
    assert result.error == (
        "sep.csv: the disk is full (no space left on device): free some space and import it again"
    )
    assert not (workspace.root / "raw").exists() or not any((workspace.root / "raw").iterdir())
    monkeypatch.undo()
    [again] = workspace.ingest([export])  # the same file, once there is room: archived whole
    assert again.status == "loaded"
    [kept] = (workspace.root / "raw").rglob("sep.csv.gz")
    assert gzip.decompress(kept.read_bytes()) == export.read_bytes()


def test_the_archive_is_named_by_content_and_never_a_hard_link(
    tmp_path: Path, workspace: Workspace
) -> None:
    csv_file = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 11)))
    gz_file = tmp_path / "oct.csv.gz"
    gz_file.write_bytes(gzip.compress(csv_file.read_bytes().replace(b"2026-09", b"2026-10")))
    results = workspace.ingest([csv_file, gz_file])
    digests = workspace.imports().sort("import_id")["content_hash"].to_list()
    assert [r.status for r in results] == ["loaded", "loaded"]
    kept_gz = workspace.root / "raw" / digests[1] / "oct.csv.gz"
    assert kept_gz.read_bytes() == gz_file.read_bytes()
    assert kept_gz.stat().st_ino != gz_file.stat().st_ino
    assert kept_gz.stat().st_nlink == 1
    original = gz_file.read_bytes()
    with gz_file.open("r+b") as edited:  # the user edits the source in place
        edited.write(b"\x00" * 16)
    assert kept_gz.read_bytes() == original
    kept_csv = workspace.root / "raw" / digests[0] / "sep.csv.gz"
    assert gzip.decompress(kept_csv.read_bytes()) == csv_file.read_bytes()


def test_a_file_changed_while_it_was_imported_is_not_archived(tmp_path: Path) -> None:
    source = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 3)))
    raw = tmp_path / "raw"
    copy = RawArchive(raw, source, (source,))
    with pytest.raises(Exception, match="changed while it was being imported"):
        copy.write("0" * 64)  # the hash the import recorded: no longer the file's
    assert not raw.exists() or list(raw.iterdir()) == []


def test_what_a_killed_write_left_behind_is_removed_by_the_next_write(
    tmp_path: Path, workspace: Workspace
) -> None:
    root = workspace.root
    (root / ".db-000009.duckdb.tmp").write_bytes(b"\x00" * 13_600)  # a partial copy
    (root / ".db-000009.duckdb.tmp.wal").write_bytes(b"x")
    (root / ".CURRENT.tmp").write_text("db-000009.duckdb")
    (root / ".import-tmp" / "abc").mkdir(parents=True)
    (root / ".import-tmp" / "abc" / "part.csv").write_text("x")
    (root / "raw" / ".tmp-0123456789abcdef-00000000").mkdir(parents=True)
    assert len(leftovers(root)) == 5
    workspace.ingest([write_focus(tmp_path / "a.csv", focus_rows(range(1, 3)))])
    assert leftovers(root) == []


def test_a_read_only_lock_file_is_one_sentence_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    export = write_focus(tmp_path / "a.csv", focus_rows(range(1, 3)))
    assert (
        CliRunner().invoke(main, ["--workspace", str(root), "ingest", str(export)]).exit_code == 0
    )

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(root / ".write.lock"))

    monkeypatch.setattr("filelock.FileLock.acquire", refuse)
    other = write_focus(tmp_path / "b.csv", focus_rows(range(1, 3), month="2026-10"))
    out = CliRunner().invoke(main, ["--workspace", str(root), "ingest", str(other)])
    assert out.exit_code == 2
    assert out.output.splitlines()[-1] == (
        f"Error: cannot write to {root}: the folder is read-only for this user"
    )


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A workspace with one import, mounted read-only (needs root on Linux)."""
    root = tmp_path / "ws"
    export = write_focus(tmp_path / "a.csv", focus_rows(range(1, 3)))
    assert (
        CliRunner().invoke(main, ["--workspace", str(root), "ingest", str(export)]).exit_code == 0
    )
    view = tmp_path / "read-only"
    view.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root on Linux; the injected test covers it")
    binds = [
        ["mount", "--bind", str(root), str(view)],
        ["mount", "-o", "remount,bind,ro", str(view)],
    ]
    for command in binds:
        if subprocess.run(command, capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(view)], check=False)
            pytest.skip("cannot bind-mount read-only here")
    try:
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


def test_a_read_only_workspace_refuses_an_import_in_one_sentence_and_still_reads(
    tmp_path: Path, read_only: Path
) -> None:
    export = write_focus(tmp_path / "b.csv", focus_rows(range(1, 3), month="2026-10"))
    out = CliRunner().invoke(main, ["--workspace", str(read_only), "ingest", str(export)])
    assert out.exit_code == 2
    assert out.output.splitlines()[-1] == (
        f"Error: cannot lock {read_only / '.write.lock'}: Read-only file system"
    )
    costs = CliRunner().invoke(main, ["--workspace", str(read_only), "costs", "--format", "csv"])
    assert costs.exit_code == 0
    assert costs.output.splitlines()[1].startswith("USD,42.0000000000,38.0000000000")


def test_the_archive_is_written_once_whatever_path_the_import_takes(
    tmp_path: Path, workspace: Workspace
) -> None:
    """Archived in the hashing pass, in the retry after mixed line endings, never twice."""
    plain = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 11)))
    lines = write_focus(tmp_path / "oct.csv", focus_rows(range(1, 11), month="2026-10"))
    mixed = tmp_path / "oct-mixed.csv"  # CRLF, but an LF-only last line: a sniffer failure
    rows = lines.read_bytes().splitlines()
    mixed.write_bytes(b"\r\n".join(rows[:-1]) + b"\r\n" + rows[-1] + b"\n")
    results = workspace.ingest([plain, mixed, plain])
    assert [r.status for r in results] == ["loaded", "loaded", "skipped"]
    raw = workspace.root / "raw"
    digests = workspace.imports().sort("import_id")["content_hash"].to_list()
    assert sorted(p.name for p in raw.iterdir()) == sorted(set(digests))
    for digest, source in zip(digests[:2], (plain, mixed), strict=True):
        [kept] = list((raw / digest).iterdir())
        assert gzip.decompress(kept.read_bytes()) == source.read_bytes()
    assert leftovers(workspace.root) == []
