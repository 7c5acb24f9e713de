"""Bad inputs: each is refused with one clear sentence, and nothing stored changes."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import FOCUS_HEADER, focus_rows, write_focus
from polars.testing import assert_frame_equal

from cloudoptima import Workspace

Builder = Callable[[Path], Path]


def _csv(text: str, name: str = "bad.csv") -> Builder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return build


def _bytes(data: bytes, name: str) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


GOOD = focus_rows(range(1, 4), month="2026-11")
GOOD_TEXT = FOCUS_HEADER + "\n" + "\n".join(GOOD) + "\n"


def _replace_in_row(index: int, old: str, new: str) -> str:
    rows = list(GOOD)
    rows[index] = rows[index].replace(old, new, 1)
    return FOCUS_HEADER + "\n" + "\n".join(rows) + "\n"


def _manifest(folder: Path, *, rows: int, blobs: list[str]) -> Path:
    run = folder / "run"
    run.mkdir()
    write_focus(run / "part_0.csv", GOOD)
    entries = [{"blobName": f"x/run/{b}"} for b in blobs]
    (run / "manifest.json").write_text(json.dumps({"dataRowCount": rows, "blobs": entries}))
    return run


CASES: dict[str, tuple[Builder, str]] = {
    "empty file": (_bytes(b"", "empty.csv"), r"empty\.csv: is empty"),
    "only blank lines": (_csv("\n\n\n", "blank.csv"), r"blank\.csv: is empty"),
    "binary file": (
        _bytes(bytes(range(256)) * 40, "data.csv"),
        r"data\.csv: is (a binary file|not a readable UTF-8)",
    ),
    "truncated file": (
        _csv(GOOD_TEXT[: GOOD_TEXT.rindex(",USD,")]),
        r"bad\.csv, line 7: expected 17 columns like the header but found \d+",
    ),
    "wrong delimiter in the rows": (
        _csv(FOCUS_HEADER + "\n" + GOOD[0].replace(",", ";") + "\n"),
        r"line 2: expected 17 columns like the header but found 1",
    ),
    "unbalanced quotes": (_csv(_replace_in_row(1, '"{', "{")), r"bad\.csv, line \d+: "),
    "missing required column": (
        _csv(GOOD_TEXT.replace("BilledCost,", "Cost,", 1)),
        r"bad\.csv: this FOCUS file lacks the required column BilledCost",
    ),
    "bad date": (
        _csv(_replace_in_row(2, "2026-11-02T00:00:00Z", "2026-11-31T00:00:00Z")),
        r"bad\.csv, row 3, line 4, column 'ChargePeriodStart': '2026-11-31T00:00:00Z' is not a date",
    ),
    "non-numeric cost": (
        _csv(_replace_in_row(4, "10.0,", "$10.00,")),
        r"bad\.csv, row 5, line 6, column 'BilledCost': '\$10\.00' is not a number",
    ),
    "thousands separator in a cost": (
        _csv(_replace_in_row(0, "10.0,", '"1,010.0",')),
        r"row 1, line 2, column 'BilledCost': '1,010\.0' is not a number",
    ),
    "empty currency": (
        _csv(_replace_in_row(3, ",USD,", ",,")),
        r"bad\.csv, row 4, line 5, column 'BillingCurrency': the value is empty",
    ),
    "malformed tags": (
        _csv(_replace_in_row(1, '""team""', "team")),
        r"row 2, line 3, column 'Tags': .* is not a JSON object of tags",
    ),
    "duplicate header": (
        _csv(GOOD_TEXT.replace("ListCost,", "BilledCost,", 1)),
        r"bad\.csv, line 1, column 'BilledCost': the header names the same column twice",
    ),
    "not a cost export": (
        _csv("name,age,city\nann,3,x\n", "people.csv"),
        r"people\.csv: is CSV .* but not a cost export",
    ),
    "corrupt gzip": (
        _bytes(gzip.compress(GOOD_TEXT.encode())[:60], "bad.csv.gz"),
        r"bad\.csv\.gz: is a damaged gzip file",
    ),
    "corrupt parquet": (
        _bytes(b"PAR1" + b"\x00garbage" * 20, "bad.parquet"),
        r"bad\.parquet: is not a readable Parquet file",
    ),
    "malformed JSON": (_csv('{"data": [1, 2', "inv.json"), r"inv\.json, line 1: is not valid JSON"),
    "latin-1 encoded text": (
        _bytes((GOOD_TEXT.replace("Prod", "Pr\u00f6d")).encode("latin-1"), "latin.csv"),
        r"latin\.csv.*(UTF-8|unicode|encoding)",
    ),
    "manifest lists a missing part": (
        lambda folder: _manifest(folder, rows=6, blobs=["part_0.csv", "part_1.csv"]),
        r"manifest\.json: blob 2 \('part_1\.csv'\) is listed but missing",
    ),
    "manifest row count mismatch": (
        lambda folder: _manifest(folder, rows=99, blobs=["part_0.csv"]),
        r"manifest\.json: the manifest promises 99 rows but the part files hold 6",
    ),
}


@pytest.fixture
def loaded(tmp_path: Path, workspace: Workspace) -> Workspace:
    """A workspace that already holds one good import."""
    [result] = workspace.ingest([write_focus(tmp_path / "good.csv", focus_rows(range(1, 11)))])
    assert result.status == "loaded"
    return workspace


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_and_nothing_changes(
    tmp_path: Path, loaded: Workspace, case: str
) -> None:
    builder, pattern = CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    path = builder(folder)
    costs = loaded.sql("SELECT * FROM costs ORDER BY ALL")
    [result] = loaded.ingest([path])
    assert result.status == "failed"
    assert result.error is not None
    assert "Traceback" not in result.error
    assert "\n" not in result.error
    assert re.search(pattern, result.error), result.error
    assert_frame_equal(loaded.sql("SELECT * FROM costs ORDER BY ALL"), costs)
    log = loaded.imports().row(0, named=True)
    assert (log["status"], log["error"]) == ("failed", result.error)


def test_unknown_kind_is_refused(tmp_path: Path, workspace: Workspace) -> None:
    path = write_focus(tmp_path / "a.csv", GOOD)
    [result] = workspace.ingest([path], kind="bogus")
    assert (
        result.error
        == "a.csv: unknown --kind 'bogus'; use one of focus, actual, amortized, inventory, metrics, reservation-recommendations"
    )


def test_a_bad_file_does_not_stop_the_good_ones(tmp_path: Path, workspace: Workspace) -> None:
    good = write_focus(tmp_path / "good.csv", GOOD)
    bad = _bytes(b"", "empty.csv")(tmp_path)
    results = workspace.ingest([bad, good])
    assert [r.status for r in results] == ["failed", "loaded"]
