"""Any engine error during an import is one sentence naming the file, and a non-zero exit.

Each stage of an import (detecting, hashing, loading, checking, archiving, logging) gets
a raw error of the kind its engine raises injected; the command line must print one
line, never a traceback, and the workspace must stay as it was.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from click.testing import CliRunner
from helpers import focus_rows, write_focus
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.cli import main
from cloudoptima.ingest import archive, cost_loader, detect, fingerprint, importer
from cloudoptima.ingest.formats import FORMATS


def _raise(error: BaseException) -> Callable[..., Any]:
    def fail(*_: object, **__: object) -> Any:
        raise error

    return fail


def _load_raising(error: BaseException) -> Any:
    return replace(FORMATS["focus"], load=_raise(error))


# stage -> (what to patch, the raw error, what the sentence must say)
STAGES: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str]] = {
    "detect": (
        lambda mp: mp.setattr(
            detect, "identify", _raise(pa.lib.ArrowInvalid("Parquet magic bytes not found"))
        ),
        r"new\.csv: could not be read \(ArrowInvalid: Parquet magic bytes not found\)",
    ),
    "hash": (
        lambda mp: mp.setattr(
            fingerprint._Pass, "run", _raise(OSError(errno.EIO, "Input/output error"))
        ),
        r"new\.csv: could not be read or written: Input/output error",
    ),
    "load": (
        lambda mp: mp.setitem(
            FORMATS, "focus", _load_raising(duckdb.InternalException("INTERNAL Error: boom"))
        ),
        r"new\.csv: could not be read \(InternalException: INTERNAL Error: boom\)",
    ),
    "check": (
        lambda mp: mp.setattr(
            cost_loader,
            "check_plausible",
            _raise(duckdb.OutOfRangeException("Out of Range Error: Overflow in HUGEINT addition")),
        ),
        r"new\.csv: could not be read \(OutOfRangeException: Out of Range Error: Overflow",
    ),
    "archive": (
        lambda mp: mp.setattr(
            archive.Sink,
            "write",
            _raise(OSError(errno.ENOSPC, "No space left on device")),
        ),
        r"new\.csv: the disk is full \(no space left on device\): free some space",
    ),
    "memory": (
        lambda mp: mp.setitem(
            FORMATS, "focus", _load_raising(duckdb.OutOfMemoryException("Out of Memory Error"))
        ),
        r"new\.csv: is too large to be read in the memory available",
    ),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_an_engine_error_at_each_stage_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    root = tmp_path / "ws"
    old = write_focus(tmp_path / "old.csv", focus_rows(range(1, 4)))
    assert CliRunner().invoke(main, ["--workspace", str(root), "ingest", str(old)]).exit_code == 0
    before = Workspace.open(root).sql("SELECT * FROM costs ORDER BY ALL")
    patch, sentence = STAGES[stage]
    patch(monkeypatch)
    new = write_focus(tmp_path / "new.csv", focus_rows(range(1, 11), month="2026-10"))
    out = CliRunner().invoke(main, ["--workspace", str(root), "ingest", str(new)])
    monkeypatch.undo()
    assert out.exit_code == 1, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    [line] = [ln for ln in out.output.splitlines() if ln.startswith("FAILED")]
    assert re.search(sentence, line), line
    assert "Traceback" not in out.output
    ws = Workspace.open(root)
    assert_frame_equal(ws.sql("SELECT * FROM costs ORDER BY ALL"), before)
    assert ws.imports().row(0, named=True)["status"] == "failed"
    assert not list(root.glob(".db-*"))
    assert not list(root.glob("raw/.tmp-*"))


def test_when_even_the_failure_cannot_be_recorded_the_write_stops_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    old = write_focus(tmp_path / "old.csv", focus_rows(range(1, 4)))
    assert CliRunner().invoke(main, ["--workspace", str(root), "ingest", str(old)]).exit_code == 0
    generation = (root / "CURRENT").read_text()
    disk_full = duckdb.IOException('IO Error: Could not write file "x": No space left on device')
    monkeypatch.setattr(importer, "_log", _raise(disk_full))
    new = write_focus(tmp_path / "new.csv", focus_rows(range(1, 11), month="2026-10"))
    out = CliRunner().invoke(main, ["--workspace", str(root), "ingest", str(new)])
    monkeypatch.undo()
    assert out.exit_code == 2
    assert out.output.splitlines()[-1] == (
        "Error: new.csv: the disk is full (no space left on device): free some space and import "
        "it again; the workspace could not record it either: the disk is full (no space left on "
        "device): free some space and import it again"
    )
    assert (root / "CURRENT").read_text() == generation
    assert not list(root.glob(".db-*"))
