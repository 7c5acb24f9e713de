"""A newer export replaces only what it re-delivers: same dataset, same scope, shared days.

Each case is an export pattern real estates use, where replacing per subscription and
billing period lost rows: resource-group-scoped exports, pay-as-you-go billing periods
that run mid-month to mid-month, weekly and custom-range exports, a one-row export into
a full workspace; plus the daily month-to-date re-delivery the replacement exists for.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from click.testing import CliRunner
from helpers import copy_workspace, focus_rows, write_focus

from cloudoptima import Workspace
from cloudoptima.cli import main

SUB = "/subscriptions/00000000-0000-0000-0000-00000000000a"
SUB_GUID = "00000000-0000-0000-0000-00000000000a"


def group_rows(rg: str, days: range, *, resources: int, month: str = "2026-09") -> list[str]:
    """FOCUS rows of one resource group (the helper's rows live in RG-App)."""
    return [r.replace("RG-App", rg) for r in focus_rows(days, month=month, resources=resources)]


def count(ws: Workspace, where: str = "TRUE") -> int:
    return int(ws.sql(f"SELECT count(*) FROM costs WHERE {where}").item())


def log(ws: Workspace) -> list[dict[str, object]]:
    return ws.imports().sort("import_id").to_dicts()


def test_two_resource_group_exports_of_one_subscription_are_both_kept(
    tmp_path: Path, workspace: Workspace
) -> None:
    web = write_focus(tmp_path / "rg-web.csv", group_rows("RG-Web", range(1, 21), resources=50))
    data = write_focus(tmp_path / "rg-data.csv", group_rows("RG-Data", range(1, 21), resources=20))
    results = workspace.ingest([web, data])
    assert [(r.status, r.rows, r.warning) for r in results] == [
        ("loaded", 1000, None),
        ("loaded", 400, None),
    ]
    assert count(workspace) == 1400
    assert [e["status"] for e in log(workspace)] == ["loaded", "loaded"]


PAYG_HEADER = (
    "SubscriptionGuid,ResourceGroup,ResourceLocation,UsageDateTime,MeterCategory,"
    "MeterSubcategory,MeterId,MeterName,MeterRegion,UsageQuantity,ResourceRate,PreTaxCost,"
    "ConsumedService,ResourceType,InstanceId,Tags,OfferId,AdditionalInfo,ServiceInfo1,"
    "ServiceInfo2,ServiceName,ServiceTier,Currency,UnitOfMeasure"
)


def payg_export(path: Path, first: date, last: date) -> Path:
    """A legacy pay-as-you-go usage export (2019-11-01 schema), one VM, one row a day."""
    rid = f"/subscriptions/{SUB_GUID}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1"
    rows = []
    day = first
    while day <= last:
        rows.append(
            f"{SUB_GUID},rg-app,westeurope,{day.isoformat()},Virtual Machines,Dv3,m1,D2 v3,"
            f"EU West,24,0.1,2.4,Microsoft.Compute,Microsoft.Compute/virtualMachines,{rid},"
            f'"{{""env"": ""prod""}}",MS-AZR-0003P,,,,Virtual Machines,Standard,EUR,1 Hour'
        )
        day += timedelta(days=1)
    path.write_text(PAYG_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_pay_as_you_go_periods_from_mid_month_to_mid_month_lose_no_day(
    tmp_path: Path, workspace: Workspace
) -> None:
    # A MOSA subscription bills from the 15th: one closed period, then the next one to date.
    closed = payg_export(tmp_path / "jan15-feb14.csv", date(2026, 1, 15), date(2026, 2, 14))
    to_date = payg_export(tmp_path / "feb15-mtd.csv", date(2026, 2, 15), date(2026, 2, 20))
    results = workspace.ingest([closed, to_date])
    assert [(r.status, r.rows) for r in results] == [("loaded", 31), ("loaded", 6)]
    days = workspace.sql("SELECT DISTINCT CAST(ChargePeriodStart AS DATE) AS d FROM costs")
    assert days.height == 37  # 15 Jan to 20 Feb, the first 14 days of February included
    assert workspace.totals().row(0, named=True)["BilledCost"] == Decimal("2.4") * 37


def test_weekly_exports_add_up(tmp_path: Path, workspace: Workspace) -> None:
    weeks = [
        write_focus(tmp_path / f"week-{n}.csv", focus_rows(range(7 * n + 1, 7 * n + 8)))
        for n in range(4)
    ]
    results = workspace.ingest(weeks)
    assert [(r.status, r.rows) for r in results] == [("loaded", 14)] * 4
    assert count(workspace) == 56
    assert all(e["replaced"] is None for e in log(workspace))


def test_a_custom_range_re_delivery_replaces_only_the_days_it_covers(
    tmp_path: Path, workspace: Workspace
) -> None:
    first = write_focus(tmp_path / "sep01-10.csv", focus_rows(range(1, 11), cost=10.0))
    second = write_focus(tmp_path / "sep05-20.csv", focus_rows(range(5, 21), cost=20.0))
    workspace.ingest([first])
    [result] = workspace.ingest([second])
    assert result.message == "32 focus cost rows; replaced 12 rows of the older export #1"
    by_source = workspace.sql(
        """SELECT _import_id, min(ChargePeriodStart)::DATE AS first, max(ChargePeriodStart)::DATE AS last,
                  count(*) AS n FROM costs GROUP BY 1 ORDER BY 1"""
    )
    assert by_source.rows() == [
        (1, date(2026, 9, 1), date(2026, 9, 4), 8),
        (2, date(2026, 9, 5), date(2026, 9, 20), 32),
    ]
    older, newer = log(workspace)
    assert older["status"] == "loaded"  # days 1-4 are still its own
    assert str(older["message"]).endswith("; 12 rows on 2026-09-05 to 2026-09-10 replaced by #2")
    assert (newer["replaced"], newer["replaced_rows"]) == (
        "#1: 12 rows, 2026-09-05 to 2026-09-10",
        12,
    )
    assert (newer["first_day"], newer["last_day"]) == (date(2026, 9, 5), date(2026, 9, 20))


def test_daily_month_to_date_re_deliveries_keep_only_the_latest(
    tmp_path: Path, workspace: Workspace
) -> None:
    deliveries = [
        write_focus(tmp_path / f"mtd-{day:02d}.csv", focus_rows(range(1, day + 1)))
        for day in range(1, 6)
    ]
    for delivery in deliveries:
        workspace.ingest([delivery])
    assert count(workspace) == 10  # five days, two resources: each day once
    assert [e["status"] for e in log(workspace)] == ["replaced"] * 4 + ["loaded"]
    assert [e["replaced_rows"] for e in log(workspace)] == [0, 2, 4, 6, 8]
    # A delivery of day 3 arriving late (another snapshot of those days, not a file seen
    # before) is an earlier month-to-date file: it keeps out of the way.
    late_file = write_focus(tmp_path / "late.csv", focus_rows(range(1, 4), cost=9.0))
    [late] = workspace.ingest([late_file])
    assert (late.status, late.rows) == ("loaded", 0)
    assert "6 rows kept out" in late.message
    assert count(workspace) == 10
    assert workspace.totals().row(0, named=True)["BilledCost"] == Decimal(5 * (10 + 11))


def test_a_later_run_of_the_same_declared_export_replaces_even_a_resource_group_now_gone(
    tmp_path: Path, workspace: Workspace
) -> None:
    # Same export (the manifest says so): a group deleted mid-month has no rows in the
    # newer run, and its older rows on the shared days are stale, not a scope of their own.
    def run(name: str, days: range, groups: tuple[str, ...], submitted: str) -> Path:
        folder = tmp_path / "export" / "20260901-20260930" / name
        folder.mkdir(parents=True)
        rows = [row for rg in groups for row in group_rows(rg, days, resources=1)]
        write_focus(folder / "part_0.csv", rows)
        manifest = {
            "exportConfig": {
                "type": "FocusCost",
                "resourceId": f"{SUB}/providers/Microsoft.CostManagement/exports/daily",
            },
            "runInfo": {"submittedTime": submitted},
            "blobs": [{"blobName": f"daily/20260901-20260930/{name}/part_0.csv"}],
        }
        (folder / "manifest.json").write_text(json.dumps(manifest))
        return folder

    older = run("run-1", range(1, 6), ("RG-Web", "RG-Old"), "2026-09-06T02:00:00.1234567Z")
    newer = run("run-2", range(1, 8), ("RG-Web",), "2026-09-08T02:00:00.1234567Z")
    results = workspace.ingest([older, newer])
    assert [r.warning for r in results] == [None, None]
    assert count(workspace) == 7
    assert [e["status"] for e in log(workspace)] == ["replaced", "loaded"]
    entry = log(workspace)[1]
    assert (entry["scope"], entry["scope_source"]) == (SUB, "manifest")
    assert str(entry["exported_at"]) == "2026-09-08 02:00:00.123456"


def test_a_file_re_delivering_one_subscription_replaces_that_subscription_only(
    tmp_path: Path, workspace: Workspace
) -> None:
    other = "/subscriptions/00000000-0000-0000-0000-00000000000b"
    both = focus_rows(range(1, 8)) + focus_rows(range(1, 8), sub=other)
    workspace.ingest([write_focus(tmp_path / "account.csv", both)])
    [result] = workspace.ingest(
        [write_focus(tmp_path / "sub-b.csv", focus_rows(range(1, 8), sub=other, cost=30.0))]
    )
    assert (result.rows, result.warning) == (14, None)
    assert result.message == "14 focus cost rows; replaced 14 rows of the older export #1"
    by_sub = workspace.costs(by="SubAccountId").sort("SubAccountId")
    assert by_sub.select("SubAccountId", "BilledCost").rows() == [
        (SUB, Decimal(7 * (10 + 11))),
        (other, Decimal(7 * (30 + 31))),
    ]


def test_an_actual_export_over_focus_cost_is_kept_and_reported(
    tmp_path: Path, workspace: Workspace
) -> None:
    workspace.ingest([write_focus(tmp_path / "focus.csv", focus_rows(range(1, 11)))])
    actual = tmp_path / "actual.csv"
    rid = f"{SUB}/resourceGroups/RG-App/providers/Microsoft.Compute/virtualMachines/vm0"
    actual.write_text(
        "SubscriptionId,Date,MeterCategory,MeterId,ResourceId,ResourceGroup,CostInBillingCurrency,BillingCurrencyCode\n"
        f"{SUB_GUID},09/03/2026,Virtual Machines,m1,{rid},RG-App,10,USD\n"
    )
    [result] = workspace.ingest([actual], kind="actual")
    assert (result.status, result.rows) == ("loaded", 1)
    assert result.warning is not None
    assert (
        "holds cost that #1 (focus) holds too (1 subscription, 1 resource group, 2026-09-03)"
        in (result.warning)
    )
    assert count(workspace) == 21
    entry = log(workspace)[1]
    assert entry["overlapping"] == "#1 (focus): 1 subscription, 1 resource group, 2026-09-03"
    assert log(workspace)[0]["status"] == "loaded"


def test_a_one_row_actual_export_into_the_demo_loses_no_demo_row(
    tmp_path: Path, demo_workspace: Workspace
) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "demo")
    sub, rg, day = ws.sql(
        """SELECT SubAccountId, x_ResourceGroupName, max(ChargePeriodStart)::DATE
           FROM costs GROUP BY SubAccountId, x_ResourceGroupName, BillingPeriodStart
           ORDER BY count(*) DESC LIMIT 1"""
    ).row(0)
    month = f"BillingPeriodStart = DATE '{day:%Y-%m-01}' AND SubAccountId = '{sub}'"
    before = count(ws, month)
    assert before > 2000  # today's rule deleted all of them but the new row
    one_row = tmp_path / "one-row-actual.csv"
    one_row.write_text(
        "SubscriptionId,ResourceGroup,Date,MeterCategory,MeterId,ResourceId,CostInBillingCurrency,BillingCurrencyCode\n"
        f"{sub.split('/')[-1]},{rg},{day:%m/%d/%Y},Storage,m1,{sub}/resourceGroups/{rg}/providers/"
        "Microsoft.Storage/storageAccounts/stone,1.5,USD\n"
    )
    out = CliRunner().invoke(main, ["--workspace", str(ws.root), "ingest", str(one_row)])
    assert out.exit_code == 0, out.output
    assert "loaded  one-row-actual.csv: 1 actual cost rows" in out.output
    assert "WARNING one-row-actual.csv: holds cost that #" in out.output
    ws.close()
    assert count(ws, month) == before + 1
    shown = CliRunner().invoke(main, ["--workspace", str(ws.root), "imports", "--format", "json"])
    newest = json.loads(shown.output)[0]
    assert newest["overlapping"].endswith(f"1 subscription, 1 resource group, {day}")
    assert newest["replaced"] is None


def test_imports_shows_what_each_import_replaced(tmp_path: Path) -> None:
    root = str(tmp_path / "ws")
    runner = CliRunner()
    for name, days in (("a.csv", range(1, 4)), ("b.csv", range(1, 6))):
        path = write_focus(tmp_path / name, focus_rows(days))
        assert runner.invoke(main, ["--workspace", root, "ingest", str(path)]).exit_code == 0
    table = runner.invoke(main, ["--workspace", root, "imports"]).output.splitlines()
    header = table[0].split()
    assert header[:8] == [
        "import_id",
        "status",
        "kind",
        "format",
        "dataset",
        "rows",
        "first_day",
        "last_day",
    ]
    assert {"replaced", "overlapping"} <= set(header)
    assert "#1: 6 rows, 2026-09-01 to 2026-09-03" in table[2]
    frame = pl.DataFrame(
        json.loads(runner.invoke(main, ["--workspace", root, "imports", "--format", "json"]).output)
    )
    assert frame.select("import_id", "status", "replaced").rows() == [
        (2, "loaded", "#1: 6 rows, 2026-09-01 to 2026-09-03"),
        (1, "replaced", None),
    ]
