"""Idempotency, replacement of re-delivered exports, actual+amortized, atomicity, readers."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from helpers import focus_rows, write_focus
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.formats import FORMATS


def billed(ws: Workspace) -> Decimal:
    return ws.sql("SELECT coalesce(sum(BilledCost), 0) AS s FROM costs").item()


def test_reimporting_the_same_file_changes_nothing(tmp_path: Path, workspace: Workspace) -> None:
    path = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 11)))
    first = workspace.ingest([path])
    before = workspace.sql("SELECT * FROM costs ORDER BY ALL")
    second = workspace.ingest([path])
    assert [r.status for r in first + second] == ["loaded", "skipped"]
    assert "already imported as #1" in second[0].message
    assert_frame_equal(workspace.sql("SELECT * FROM costs ORDER BY ALL"), before)


def test_newer_month_to_date_export_replaces_the_older(
    tmp_path: Path, workspace: Workspace
) -> None:
    older = write_focus(tmp_path / "mtd-10.csv", focus_rows(range(1, 11)))
    newer = write_focus(tmp_path / "mtd-15.csv", focus_rows(range(1, 16)))
    workspace.ingest([older])
    [result] = workspace.ingest([newer])
    assert workspace.sql("SELECT count(*) AS n FROM costs").item() == 30
    assert billed(workspace) == Decimal(15 * (10 + 11))
    assert "replaced 20 rows of the older export #1" in result.message
    statuses = workspace.imports().select("import_id", "status").sort("import_id")
    assert statuses.get_column("status").to_list() == ["replaced", "loaded"]


def test_an_older_export_arriving_late_does_not_replace_a_newer(
    tmp_path: Path, workspace: Workspace
) -> None:
    older = write_focus(tmp_path / "mtd-10.csv", focus_rows(range(1, 11)))
    newer = write_focus(tmp_path / "mtd-15.csv", focus_rows(range(1, 16)))
    workspace.ingest([newer])
    [late] = workspace.ingest([older])
    assert billed(workspace) == Decimal(15 * (10 + 11))
    assert "kept out" in late.message


def test_other_subscriptions_and_months_are_not_replaced(
    tmp_path: Path, workspace: Workspace
) -> None:
    a = write_focus(tmp_path / "a.csv", focus_rows(range(1, 11)))
    other_sub = write_focus(
        tmp_path / "b.csv",
        focus_rows(range(1, 11), sub="/subscriptions/00000000-0000-0000-0000-00000000000b"),
    )
    other_month = write_focus(tmp_path / "c.csv", focus_rows(range(1, 11), month="2026-10"))
    workspace.ingest([a, other_sub, other_month])
    assert workspace.sql("SELECT count(*) AS n FROM costs").item() == 60


def test_actual_and_amortized_for_one_period_are_not_double_counted(
    tmp_path: Path, workspace: Workspace
) -> None:
    header = "SubscriptionId,SubscriptionName,Date,MeterCategory,MeterId,ResourceId,CostInBillingCurrency,BillingCurrencyCode,ChargeType,PricingModel"
    sub = "11111111-1111-1111-1111-111111111111"
    rid = f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
    actual = [
        f"{sub},Prod,09/0{d}/2026,Virtual Machines,m1,{rid},0,USD,Usage,Reservation"
        for d in range(1, 4)
    ]
    actual.append(f"{sub},Prod,09/01/2026,Virtual Machines,m2,,30,USD,Purchase,Reservation")
    amortized = [
        f"{sub},Prod,09/0{d}/2026,Virtual Machines,m1,{rid},1,USD,Usage,Reservation"
        for d in range(1, 4)
    ]
    amortized.append(
        f"{sub},Prod,09/01/2026,Virtual Machines,m1,,27,USD,UnusedReservation,Reservation"
    )
    amortized.append(f"{sub},Prod,09/01/2026,Virtual Machines,m2,,30,USD,Purchase,Reservation")
    (tmp_path / "actual.csv").write_text(header + "\n" + "\n".join(actual) + "\n")
    (tmp_path / "amort.csv").write_text(header + "\n" + "\n".join(amortized) + "\n")
    results = workspace.ingest([tmp_path / "actual.csv", tmp_path / "amort.csv"])
    assert [(r.status, r.rows) for r in results] == [("loaded", 4), ("loaded", 5)]
    totals = workspace.totals().row(0, named=True)
    # billed = the invoice (30 purchase); effective = amortized usage 3 + unused 27, purchase zeroed
    assert (totals["BilledCost"], totals["EffectiveCost"]) == (Decimal(30), Decimal(30))
    datasets = workspace.imports().sort("import_id").get_column("dataset").to_list()
    assert datasets == ["actual", "amortized"]


def test_gzip_csv_and_parquet_load_like_csv(tmp_path: Path, workspace: Workspace) -> None:
    path = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 6)))
    gz = tmp_path / "sep.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    parquet = tmp_path / "oct.parquet"
    write_focus(tmp_path / "oct.csv", focus_rows(range(1, 6), month="2026-10"))
    pl.read_csv(tmp_path / "oct.csv", infer_schema=False).write_parquet(parquet)
    results = workspace.ingest([gz, parquet])
    assert [(r.status, r.rows) for r in results] == [("loaded", 10), ("loaded", 10)]
    assert billed(workspace) == Decimal(2 * 5 * (10 + 11))


def test_export_run_folder_with_manifest(tmp_path: Path, workspace: Workspace) -> None:
    run = tmp_path / "export" / "20260901-20260930" / "run-1"
    run.mkdir(parents=True)
    write_focus(run / "part_0_0001.csv", focus_rows(range(1, 6)))
    write_focus(run / "part_1_0001.csv", focus_rows(range(6, 11)))
    manifest = {
        "dataRowCount": 20,
        "exportConfig": {
            "type": "FocusCost",
            "dataVersion": "1.0r2",
            "resourceId": "/subscriptions/x/providers/Microsoft.CostManagement/exports/e",
        },
        "runInfo": {"submittedTime": "2026-09-11T02:00:00Z"},
        "blobs": [
            {"blobName": f"c/export/20260901-20260930/run-1/part_{i}_0001.csv"} for i in (0, 1)
        ],
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    [result] = workspace.ingest([tmp_path / "export"])
    assert (result.status, result.rows) == ("loaded", 20)
    log = workspace.imports().row(0, named=True)
    assert (log["version"], log["scope"]) == ("1.0r2", "/subscriptions/x")


def test_a_crash_in_the_middle_of_an_import_leaves_the_workspace_unchanged(
    tmp_path: Path, workspace: Workspace
) -> None:
    workspace.ingest([write_focus(tmp_path / "a.csv", focus_rows(range(1, 11)))])
    version, costs, log = workspace.data_version, billed(workspace), workspace.imports()

    def crash(_: Detected) -> None:
        raise RuntimeError("power cut")

    newer = write_focus(tmp_path / "b.csv", focus_rows(range(1, 16)))
    with pytest.raises(RuntimeError, match="power cut"):
        workspace.ingest([newer], before_commit=crash)
    assert workspace.data_version == version
    assert billed(workspace) == costs
    assert_frame_equal(workspace.imports(), log)
    assert not list(workspace.root.glob(".db-*"))


def test_a_failed_import_is_rolled_back_and_logged(tmp_path: Path, workspace: Workspace) -> None:
    workspace.ingest([write_focus(tmp_path / "a.csv", focus_rows(range(1, 11)))])
    costs = workspace.sql("SELECT * FROM costs ORDER BY ALL")
    rows = focus_rows(range(1, 16))
    rows[24] = rows[24].replace("10.0,", "ten,", 1)  # BilledCost of the 25th data row
    [result] = workspace.ingest([write_focus(tmp_path / "b.csv", rows)])
    assert result.status == "failed"
    assert result.error == "b.csv, row 25, line 26, column 'BilledCost': 'ten' is not a number"
    assert_frame_equal(workspace.sql("SELECT * FROM costs ORDER BY ALL"), costs)
    assert workspace.imports().row(0, named=True)["error"] == result.error


READER = textwrap.dedent(
    """
    import sys, json
    from cloudoptima import Workspace
    ws = Workspace.open(sys.argv[1])
    print(json.dumps({"rows": ws.sql("SELECT count(*) FROM costs").item(), "version": ws.data_version}))
    """
)


def test_another_process_reads_while_an_import_runs(tmp_path: Path, workspace: Workspace) -> None:
    workspace.ingest([write_focus(tmp_path / "a.csv", focus_rows(range(1, 11)))])
    seen: list[dict[str, int]] = []

    def read_from_another_process(_: Detected) -> None:
        # The import holds its write open right now; a reader must neither block nor fail.
        out = subprocess.run(
            [sys.executable, "-c", READER, str(workspace.root)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        seen.append(json.loads(out.stdout))

    workspace.ingest(
        [write_focus(tmp_path / "b.csv", focus_rows(range(1, 11), month="2026-10"))],
        before_commit=read_from_another_process,
    )
    assert seen == [{"rows": 20, "version": 2}]
    assert workspace.sql("SELECT count(*) FROM costs").item() == 40


@pytest.mark.parametrize(
    ("extra_header", "start", "version"),
    [
        ("", "2026-09-01T00:00:00Z", "1.0"),
        (",x_ResourceType", "2026-09-01T00:00Z", "1.0"),
        (",x_ResourceType", "2026-09-01T00:00:00Z", "1.0r2"),
        (",x_ResourceType,SkuMeter", "2026-09-01T00:00:00Z", "1.1"),
        (",x_ResourceType,SkuMeter,BillingAccountType", "2026-09-01T00:00:00Z", "1.2"),
    ],
)
def test_focus_version_is_read_from_the_content(
    tmp_path: Path, workspace: Workspace, extra_header: str, start: str, version: str
) -> None:
    header = (
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd" + extra_header
    )
    extra = "," * extra_header.count(",")
    path = tmp_path / "f.csv"
    path.write_text(f"{header}\n1.5,1.0,EUR,{start},2026-09-02T00:00:00Z{extra}\n")
    [result] = workspace.ingest([path])
    assert result.status == "loaded", result.error
    log = workspace.imports().row(0, named=True)
    assert (log["format"], log["version"]) == ("focus", version)
    assert workspace.totals().row(0, named=True)["BilledCost"] == Decimal("1.5")


def test_a_file_offered_again_stops_loading_as_soon_as_its_hash_is_known(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_focus(tmp_path / "sep.csv", focus_rows(range(1, 11)))
    [first] = workspace.ingest([path])
    before = workspace.sql("SELECT * FROM costs ORDER BY ALL")
    focus_format = FORMATS["focus"]

    def load_forever(con: duckdb.DuckDBPyConnection, *_: object) -> dict[str, object]:
        # Stands in for a load far longer than hashing: only the interrupt ends it.
        con.execute("SELECT count(*) FROM range(1000000000000) t(x) WHERE x % 7 = 3").fetchall()
        raise AssertionError("the load was not interrupted")

    monkeypatch.setitem(FORMATS, "focus", replace(focus_format, load=load_forever))
    [again] = workspace.ingest([path])
    assert (first.status, again.status) == ("loaded", "skipped")
    assert again.message == f"already imported as #{first.import_id}; nothing changed"
    assert_frame_equal(workspace.sql("SELECT * FROM costs ORDER BY ALL"), before)
