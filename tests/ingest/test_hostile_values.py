"""Hostile and odd files: nothing dropped silently, nothing accepted that breaks the workspace.

Every case was reproduced against real exports edited the way people edit them (Windows
line endings, a pasted description) or written by a probe (1e27, year 9999, ``US$``).
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import FOCUS_HEADER, focus_rows, write_focus

from cloudoptima import Workspace
from cloudoptima.cli import main
from cloudoptima.errors import IngestError
from cloudoptima.ingest.detect import detect
from cloudoptima.ingest.fingerprint import _Pass
from cloudoptima.ingest.importer import check_rows
from cloudoptima.ingest.plausible import FUTURE_DAYS

ROWS = focus_rows(range(1, 11))  # 20 rows, BilledCost 10 and 11 a day
TOTAL = Decimal(10 * (10 + 11))
EA_HEADER = (
    "SubscriptionId,Date,MeterCategory,MeterId,ResourceId,CostInBillingCurrency,BillingCurrencyCode"
)
SUB_GUID = "00000000-0000-0000-0000-00000000000a"


def billed(ws: Workspace) -> Decimal:
    return Decimal(ws.sql("SELECT coalesce(sum(BilledCost), 0) FROM costs").item())


def with_row(index: int, old: str, new: str, rows: list[str] = ROWS) -> list[str]:
    changed = list(rows)
    changed[index] = changed[index].replace(old, new, 1)
    return changed


# -- the same bytes as two datasets ---------------------------------------------------


def _legacy_export(path: Path) -> Path:
    # no commitments: actual and amortized rows are the same, byte for byte
    rid = f"/subscriptions/{SUB_GUID}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
    rows = [f"{SUB_GUID},09/0{d}/2026,Virtual Machines,m1,{rid},7.5,USD" for d in range(1, 5)]
    path.write_text(EA_HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def test_an_amortized_file_identical_to_its_actual_file_fills_effective_cost(
    tmp_path: Path, workspace: Workspace
) -> None:
    actual = _legacy_export(tmp_path / "costs_actual.csv")
    amortized = tmp_path / "costs_amortized.csv"
    amortized.write_bytes(actual.read_bytes())
    results = workspace.ingest([actual, amortized])
    assert [(r.status, r.rows) for r in results] == [("loaded", 4), ("loaded", 4)]
    totals = workspace.totals().row(0, named=True)
    assert (totals["BilledCost"], totals["EffectiveCost"]) == (Decimal(30), Decimal(30))
    assert workspace.imports().sort("import_id")["dataset"].to_list() == ["actual", "amortized"]


def test_kind_amortized_loads_bytes_imported_before_as_actual(
    tmp_path: Path, workspace: Workspace
) -> None:
    export = _legacy_export(tmp_path / "export.csv")
    first = workspace.ingest([export])
    second = workspace.ingest([export], kind="amortized")
    third = workspace.ingest([export], kind="amortized")
    assert [r.status for r in first + second + third] == ["loaded", "loaded", "skipped"]
    assert third[0].message == f"already imported as #{second[0].import_id}; nothing changed"
    assert workspace.totals().row(0, named=True)["EffectiveCost"] == Decimal(30)


# -- line endings, sizes, compression ----------------------------------------------------

ENDINGS = {
    "CRLF with an LF-only last line": ["\r\n"] * 20 + ["\n"],
    "LF with a CRLF last line": ["\n"] * 20 + ["\r\n"],
    "CRLF with an LF line in the middle": ["\r\n"] * 6 + ["\n"] + ["\r\n"] * 14,
    "two files concatenated": ["\r\n"] * 10 + ["\n"] * 11,
}


@pytest.mark.parametrize("case", sorted(ENDINGS))
@pytest.mark.parametrize("compressed", [False, True])
def test_mixed_line_endings_load(
    tmp_path: Path, workspace: Workspace, case: str, compressed: bool
) -> None:
    lines = [FOCUS_HEADER, *ROWS]
    data = "".join(line + end for line, end in zip(lines, ENDINGS[case], strict=True)).encode()
    path = tmp_path / ("mixed.csv.gz" if compressed else "mixed.csv")
    path.write_bytes(gzip.compress(data) if compressed else data)
    [result] = workspace.ingest([path])
    assert (result.status, result.rows) == ("loaded", 20), result.error
    assert billed(workspace) == TOTAL
    tags = workspace.sql("SELECT DISTINCT Tags::VARCHAR AS t FROM costs ORDER BY 1")["t"]
    assert all(not t.endswith("\r") for t in tags)
    assert not (workspace.root / ".import-tmp").exists()


def test_a_row_with_a_huge_cell_is_an_error_naming_its_line(
    tmp_path: Path, workspace: Workspace
) -> None:
    rows = focus_rows(range(1, 26), resources=8)  # 200 rows
    last = rows[0].replace("10.0,", "1000000,", 1).replace("Virtual Machines", "V" * 40_000_000)
    path = write_focus(tmp_path / "big.csv", [*rows, last])
    [result] = workspace.ingest([path])
    assert result.status == "failed"
    length = len(last.encode())
    assert result.error == (
        f"big.csv, line 202: the line is {length:,} bytes long, more than the 2,000,000 a row "
        "may hold: the file is damaged or a cell holds far more than a cost export writes"
    )
    assert workspace.sql("SELECT count(*) FROM costs").item() == 0


@pytest.mark.parametrize("where", ["Virtual Machines", '""prod""'])
def test_a_3_mb_line_says_it_is_too_long_not_that_a_quote_is_open(
    tmp_path: Path, workspace: Workspace, where: str
) -> None:
    filler = "x" * 3_000_000
    rows = with_row(5, where, where.replace("prod", filler) if "prod" in where else filler)
    [result] = workspace.ingest([write_focus(tmp_path / "long.csv", rows)])
    assert result.error is not None
    assert re.fullmatch(
        r"long\.csv, line 7: the line is 3,00\d,\d{3} bytes long, more than the 2,000,000 .*",
        result.error,
    ), result.error


def test_a_line_break_inside_a_quoted_cell_is_no_dropped_row(
    tmp_path: Path, workspace: Workspace
) -> None:
    rows = with_row(3, "Virtual Machines", '"Virtual\nMachines"')
    [result] = workspace.ingest([write_focus(tmp_path / "quoted.csv", rows)])
    assert (result.status, result.rows) == ("loaded", 20)


def test_a_reader_returning_fewer_rows_than_the_file_holds_fails_the_import(
    tmp_path: Path,
) -> None:
    path = write_focus(tmp_path / "x.csv", ROWS)
    detected = detect(path)
    _, stats = _Pass(None).run(path, detected, count=True)
    check_rows(detected, 20, stats)  # all rows read: fine
    with pytest.raises(IngestError, match=r"x\.csv: holds 20 rows but only 19 could be read"):
        check_rows(detected, 19, stats)


def test_gzip_content_is_read_as_gzip_whatever_its_name(
    tmp_path: Path, workspace: Workspace
) -> None:
    text = (FOCUS_HEADER + "\n" + "\n".join(ROWS) + "\n").encode()
    named_csv = tmp_path / "really-gzip.csv"
    named_csv.write_bytes(gzip.compress(text))
    named_gz = tmp_path / "plain.csv.gz"
    named_gz.write_bytes(text.replace(b"2026-09", b"2026-08"))
    results = workspace.ingest([named_csv, named_gz])
    assert [(r.status, r.rows) for r in results] == [("loaded", 20), ("loaded", 20)]


# -- values that would break the workspace later -------------------------------------------


def _future(days: int) -> str:
    return f"{datetime.now(UTC).date() + timedelta(days=days):%Y-%m-%d}T00:00:00Z"


REFUSED = {
    "US$": (
        with_row(2, ",USD,", ",US$,"),
        "row 3, line 4, column 'BillingCurrency': 'US$' is not an ISO 4217 currency code",
    ),
    "EURO": (
        with_row(7, ",USD,", ",euro,"),
        "row 8, line 9, column 'BillingCurrency': 'euro' is not an ISO 4217 currency code",
    ),
    "blank currency": (
        with_row(4, ",USD,", ", ,"),
        "row 5, line 6, column 'BillingCurrency': ' ' is not an ISO 4217 currency code",
    ),
    "year 9999": (
        with_row(19, "2026-09-10T00:00:00Z,2026-09-11", "9999-09-10T00:00:00Z,9999-09-11"),
        "row 20, line 21, column 'ChargePeriodStart': '9999-09-10T00:00:00Z' is not a plausible "
        "charge date",
    ),
    "before 2000": (
        with_row(0, "2026-09-01T00:00:00Z,2026-09-02", "1999-12-31T00:00:00Z,2000-01-01"),
        "row 1, line 2, column 'ChargePeriodStart': '1999-12-31T00:00:00Z' is not a plausible",
    ),
    "a year ahead": (
        with_row(1, "2026-09-01T00:00:00Z,2026-09-02T00:00:00Z", f"{_future(365)},{_future(366)}"),
        f"row 2, line 3, column 'ChargePeriodStart': '{_future(365)}' is not a plausible",
    ),
    "1e27": (
        with_row(8, "10.0,", "1e27,"),
        "row 9, line 10, column 'BilledCost': '1e27' is beyond any plausible amount "
        "(1,000,000,000,000,000 or more)",
    ),
    "-1e15": (
        with_row(10, "9.0,", "-1000000000000000,"),
        "row 11, line 12, column 'EffectiveCost': '-1000000000000000' is beyond any plausible",
    ),
    "1e308": (
        with_row(0, "10.0,", "1e308,"),
        "row 1, line 2, column 'BilledCost': '1e308' is too large a number to be an amount",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_values_that_break_the_workspace_later_are_refused_naming_the_row(
    tmp_path: Path, workspace: Workspace, case: str
) -> None:
    rows, expected = REFUSED[case]
    [result] = workspace.ingest([write_focus(tmp_path / "bad.csv", rows)])
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(f"bad.csv, {expected}"), result.error
    assert workspace.sql("SELECT count(*) FROM costs").item() == 0


@pytest.mark.parametrize("value", ["inf", "NaN", "-1e400"])
def test_a_quantity_that_is_no_finite_number_is_refused(
    tmp_path: Path, workspace: Workspace, value: str
) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,PricingQuantity\n"
        "1.5,1.0,EUR,2026-09-01T00:00:00Z,3\n"
        f"1.5,1.0,EUR,2026-09-02T00:00:00Z,{value}\n"
    )
    [result] = workspace.ingest([path])
    assert result.error == (
        f"q.csv, row 2, line 3, column 'PricingQuantity': '{value}' is not a finite number"
    )


def test_a_legacy_export_with_a_currency_symbol_is_refused(
    tmp_path: Path, workspace: Workspace
) -> None:
    path = _legacy_export(tmp_path / "ea.csv")
    path.write_text(path.read_text().replace(",USD", ",€", 1))
    [result] = workspace.ingest([path])
    assert result.error == (
        "ea.csv, row 1, line 2, column 'BillingCurrencyCode': '€' is not an ISO 4217 currency "
        "code (such as USD or EUR)"
    )


def test_a_date_a_few_months_ahead_is_still_accepted(tmp_path: Path, workspace: Workspace) -> None:
    ahead = _future(FUTURE_DAYS - 30)
    rows = with_row(1, "2026-09-01T00:00:00Z,2026-09-02T00:00:00Z", f"{ahead},{ahead}")
    [result] = workspace.ingest([write_focus(tmp_path / "ahead.csv", rows)])
    assert result.status == "loaded", result.error


LARGEST = "999999999999999.9999999999"


def test_no_query_overflows_on_the_largest_accepted_values(
    tmp_path: Path, workspace: Workspace
) -> None:
    # 60 days of two resources at the largest amount accepted, a spike on the last day
    rows = [
        row.replace("10.0,9.0,12.0,11.0,", f"{LARGEST},{LARGEST},{LARGEST},{LARGEST},", 1).replace(
            "11.0,10.0,13.0,12.0,", f"-{LARGEST},{LARGEST},{LARGEST},{LARGEST},", 1
        )
        for month in ("2026-08", "2026-09")
        for row in focus_rows(range(1, 29), month=month)
    ]
    [result] = workspace.ingest([write_focus(tmp_path / "largest.csv", rows)])
    assert result.status == "loaded", result.error
    assert workspace.costs().row(0, named=True)["EffectiveCost"] == Decimal(LARGEST) * 112
    assert workspace.costs(by="ServiceName", grain="month").height == 2
    assert workspace.costs(by="tag:team", grain="day").height == 112
    workspace.findings()
    workspace.anomalies()
    workspace.cost_changes(by="ServiceName", mode="mtd")
    workspace.rates_by_month()
    workspace.showback("team")
    workspace.tag_coverage(["team"])


@pytest.mark.slow
def test_the_forecast_does_not_overflow_on_the_largest_accepted_values(
    tmp_path: Path, workspace: Workspace
) -> None:
    # 90 days in a row (no gap a seasonal baseline would read as zero cost)
    template = focus_rows(range(1, 2), resources=1)[0].replace("10.0,9.0,", f"{LARGEST},{LARGEST},")
    rows = []
    for offset in range(90):
        day = datetime(2026, 7, 1) + timedelta(days=offset)
        month = f"{day:%Y-%m}-01T00:00:00Z"
        following = f"{(day.replace(day=28) + timedelta(days=4)):%Y-%m}-01T00:00:00Z"
        rows.append(
            template.replace(
                "2026-09-01T00:00:00Z,2026-10-01T00:00:00Z", f"{month},{following}"
            ).replace(
                "2026-09-01T00:00:00Z,2026-09-02T00:00:00Z",
                f"{day:%Y-%m-%d}T00:00:00Z,{day + timedelta(days=1):%Y-%m-%d}T00:00:00Z",
            )
        )
    [result] = workspace.ingest([write_focus(tmp_path / "largest.csv", rows)])
    assert (result.status, result.rows) == ("loaded", 90), result.error
    month_end = workspace.forecast(horizon=7).month_end.row(0, named=True)
    assert month_end["projected"] == pytest.approx(30 * float(LARGEST), rel=1e-3)


# -- faults in the shape of the input ----------------------------------------------------


def test_json_nested_100000_levels_is_one_sentence(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    out = CliRunner().invoke(main, ["--workspace", str(tmp_path / "ws"), "ingest", str(deep)])
    assert out.exit_code == 1
    assert out.output.splitlines()[-1] == (
        "FAILED  deep.json: is JSON nested too deeply to read (thousands of levels; no export "
        "nests so)"
    )


@pytest.mark.parametrize("blob", [".", "..", "run/"])
def test_a_manifest_naming_no_file_is_one_sentence(
    tmp_path: Path, workspace: Workspace, blob: str
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    write_focus(run / "part_0.csv", ROWS)
    (run / "manifest.json").write_text(json.dumps({"blobs": [{"blobName": f"c/{blob}"}]}))
    [result] = workspace.ingest([run])
    name = blob.rsplit("/", 1)[-1]
    assert result.error == (
        f"manifest.json: blob 1 ('{name}') does not name a file: the manifest is damaged"
    )
