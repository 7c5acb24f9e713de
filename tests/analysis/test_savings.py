"""Savings figures without silent zeros: 30-day normalisation, amortized cost, one currency
per resource, and per-hour thresholds whatever the metric grain. Worked numbers throughout."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from estate import Estate

from cloudoptima import Workspace
from cloudoptima.analysis.findings import run_rules

MB = 1_000_000


def one(ws: Workspace, rule: str, name: str) -> dict[str, object]:
    frame = run_rules(ws.reader, ws.settings(), [rule])
    rows = [r for r in frame.iter_rows(named=True) if r["resource_name"] == name]
    assert len(rows) == 1, frame.select("resource_name")
    return rows[0]


def idle(e: Estate, name: str) -> str:
    vm = e.vm(name)
    e.metric(vm, "Percentage CPU", 1.0)
    e.metric(vm, "Network Out Total", 5 * MB)
    return vm


def test_a_resource_with_ten_days_of_cost_is_scaled_to_thirty(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    e.cost(idle(e, "new-idle"), 10.0, days=10)  # created ten days ago
    old = idle(e, "old-idle")
    e.cost(old, 10.0, days=30, last_day=date(2026, 10, 20))  # it has history before the window
    e.cost(old, 10.0, days=20)  # ...and 20 of the window's 30 days: 200, not scaled
    ws = e.workspace()
    new = one(ws, "idle_vm", "new-idle")
    assert (new["monthly_cost"], new["monthly_savings"]) == (300.0, 300.0)  # 100 x 30 / 10
    assert "based on 10 day(s) of cost, scaled to 30 days" in str(new["description"])
    assert json.loads(str(new["evidence"]))["cost_days"] == 10
    kept = one(ws, "idle_vm", "old-idle")
    assert (kept["monthly_cost"], kept["monthly_savings"]) == (200.0, 200.0)
    assert "scaled" not in str(kept["description"])


def test_a_workspace_with_twelve_days_of_data_scales_every_resource(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    disk = e.add("Microsoft.Compute/disks", "loose", diskState="Unattached")
    e.cost(disk, 0.5, days=12)
    e.cost(e.vm("stopped", power="stopped"), 4.0, days=12)
    ws = e.workspace()
    assert one(ws, "unattached_disk", "loose")["monthly_savings"] == pytest.approx(15.0)
    assert one(ws, "stopped_vm_not_deallocated", "stopped")["monthly_savings"] == pytest.approx(
        120.0
    )


def test_covered_resources_use_amortized_cost(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    covered = idle(e, "reserved-idle")
    # a reservation covers it: billed 0, amortized 6.2 a day
    e.cost(covered, 0.0, effective=6.2, pricing="Committed", commitment="/providers/x/res/1")
    untagged = e.vm("reserved-untagged", tags={})
    e.metric(untagged, "Percentage CPU", 50.0)
    e.cost(untagged, 0.0, effective=3.0, pricing="Committed", commitment="/providers/x/res/1")
    ws = e.workspace()
    row = one(ws, "idle_vm", "reserved-idle")
    assert (row["cost_basis"], row["monthly_savings"]) == ("effective", pytest.approx(186.0))
    tag = one(ws, "untagged_cost", "reserved-untagged")  # billed 0 hid it before
    assert tag["monthly_cost"] == pytest.approx(90.0)
    assert tag["cost_basis"] == "effective"


def test_two_currencies_are_never_added(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    moved = idle(e, "moved-billing")
    e.cost(moved, 10.0, days=20, last_day=date(2026, 11, 14), currency="USD")
    e.cost(moved, 9.0, days=10, currency="EUR")  # billed in EUR for the last ten days
    ws = e.workspace()
    row = one(ws, "idle_vm", "moved-billing")
    # EUR only, its ten days scaled to thirty: 90 x 3, never 200 USD + 90 EUR = "290"
    assert (row["BillingCurrency"], row["monthly_savings"]) == ("EUR", pytest.approx(270.0))
    assert "based on 10 day(s)" in str(row["description"])


def test_thresholds_per_hour_hold_for_per_minute_metrics(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    for name, mb_per_hour in (("chatty", 150.0), ("quiet", 50.0)):
        vm = e.vm(name)
        e.metric(vm, "Percentage CPU", 1.0, per_minute=True)
        # 2.5 MB (chatty) or 0.83 MB (quiet) a minute: each minute is far below 100 MB
        e.metric(vm, "Network Out Total", mb_per_hour * MB, per_minute=True)
        e.cost(vm, 10.0)
    ws = e.workspace()
    found = run_rules(ws.reader, ws.settings(), ["idle_vm"])
    assert found.get_column("resource_name").to_list() == ["quiet"]
    evidence = json.loads(found.item(0, "evidence"))
    assert evidence["network_out_max_bytes_per_hour"] == pytest.approx(50.0 * MB)
    assert evidence["metric_days"] == 7
    assert evidence["metric_coverage_percent"] == 100.0


def test_coarser_grains_are_spread_over_their_hours(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    vm = e.vm("six-hourly")
    e.metric(vm, "Percentage CPU", 1.0)
    end = datetime.combine(e.end, datetime.min.time()) + timedelta(hours=18)
    for block in range(7 * 4):  # PT6H points: 300 MB each, 50 MB an hour
        e._point(vm, "Network Out Total", end - timedelta(hours=6 * block), "PT6H", 300 * MB, 0)
    e.cost(vm, 10.0)
    ws = e.workspace()
    row = one(ws, "idle_vm", "six-hourly")
    evidence = json.loads(str(row["evidence"]))
    assert evidence["network_out_max_bytes_per_hour"] == pytest.approx(50 * MB)
