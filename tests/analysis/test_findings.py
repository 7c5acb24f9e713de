"""Findings on the demo estate, their lifecycle across runs, and realized savings."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from estate import Estate
from helpers import copy_workspace

from cloudoptima import CloudOptimaError, Workspace
from cloudoptima.analysis.findings import finding_id, run_rules

SHARED = (
    "finding_id",
    "rule",
    "resource_id",
    "resource_name",
    "subscription_id",
    "resource_group",
    "title",
    "description",
    "category",
    "impact",
    "effort",
    "risk",
    "confidence",
    "monthly_savings",
    "annual_savings",
    "BillingCurrency",
    "cost_basis",
    "remediation",
    "evidence",
    "first_seen",
    "last_seen",
    "status",
)


def test_demo_precision_recall_and_savings(
    demo_workspace: Workspace, demo_truth: dict[str, Any]
) -> None:
    found = run_rules(demo_workspace.reader, demo_workspace.settings())
    planted = {(f["rule"], f["resource_id"]): f for f in demo_truth["findings"]}
    got = {(r["rule"], r["resource_id"]): r for r in found.iter_rows(named=True)}
    true_positives = planted.keys() & got.keys()
    precision, recall = len(true_positives) / len(got), len(true_positives) / len(planted)
    assert (precision, recall) == (1.0, 1.0), (
        got.keys() - planted.keys(),
        planted.keys() - got.keys(),
    )
    for key in true_positives:
        want, have = planted[key]["monthly_savings"], got[key]["monthly_savings"]
        assert have == pytest.approx(want, rel=0.01, abs=1e-9), key
        if "target_size" in planted[key]:
            assert got[key]["target"] == planted[key]["target_size"], key


def test_demo_look_alikes_stay_quiet_and_reservations_come_grouped(
    demo_workspace: Workspace, demo_truth: dict[str, Any]
) -> None:
    found = run_rules(demo_workspace.reader, demo_workspace.settings())
    by_rule = {(r["rule"], r["resource_id"]) for r in found.iter_rows(named=True)}
    assert len(demo_truth["look_alikes"]) == 7
    for look in demo_truth["look_alikes"]:
        assert (look["resembles"], look["resource_id"]) not in by_rule, look["why"]
    groups = found.filter(pl.col("rule") == "reservation_candidate")
    assert groups.height == len(
        [f for f in demo_truth["findings"] if f["rule"] == groups.item(0, "rule")]
    )
    members: list[str] = []
    for row in groups.iter_rows(named=True):
        evidence = json.loads(row["evidence"])
        size, quantity, location = evidence["vm_size"], evidence["quantity"], evidence["location"]
        assert row["resource_name"] == f"{size} x {quantity} in {location} (1-year)"
        assert row["target"] == f"{size} x {quantity} (1-year reservation)"
        assert len(evidence["vm_ids"]) == quantity
        assert 0 < evidence["savings_plan_monthly_savings"] < row["monthly_savings"]
        assert row["BillingCurrency"] == "USD"
        members += evidence["vm_ids"]
    assert len(members) == len(set(members))


def test_every_finding_carries_the_shared_fields(demo_workspace: Workspace) -> None:
    found = copy_workspace(demo_workspace, demo_workspace.root.parent / "copy-fields").findings()
    assert set(SHARED) <= set(found.columns)
    assert found.filter(
        pl.any_horizontal(pl.col(c).is_null() for c in ("title", "description", "remediation"))
    ).is_empty()
    assert found.get_column("remediation").str.starts_with("az ").all()
    assert (
        (found.get_column("annual_savings") - found.get_column("monthly_savings") * 12).abs() < 1e-5
    ).all()
    assert set(found.get_column("cost_basis")) == {"billed"}
    assert (
        found.get_column("BillingCurrency").to_list() == ["USD"] * found.height
    )  # even deallocated VMs
    idle = found.filter(pl.col("rule") == "idle_vm").row(0, named=True)
    assert idle["finding_id"] == finding_id("idle_vm", idle["resource_id"])
    assert {"cpu_max_p95_percent", "network_out_max_bytes_per_hour"} <= json.loads(
        idle["evidence"]
    ).keys()
    assert "P95 of hourly maximum CPU" in idle["description"]


def test_lifecycle_survives_reanalysis_and_resolves_what_stops_matching(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "ws")
    first = ws.findings()
    idle = first.filter(pl.col("rule") == "idle_vm").sort("resource_id")
    dismissed, snoozed = idle.item(0, "finding_id"), idle.item(1, "finding_id")
    ws.set_finding_status(dismissed, "dismissed", reason="a lab machine we keep on purpose")
    ws.set_finding_status(snoozed, "snoozed", until=date(2099, 1, 1))
    ws.set_setting("old_snapshot.days", 200)  # one planted snapshot (161 days) stops matching
    again = ws.findings().sort("finding_id")
    status = dict(again.select("finding_id", "status").iter_rows())
    assert (status[dismissed], status[snoozed]) == ("dismissed", "snoozed")
    resolved = again.filter(pl.col("status") == "resolved")
    assert resolved.get_column("rule").to_list() == ["old_snapshot"]
    assert resolved.item(0, "resolved_on") == date(2026, 11, 24)
    assert again.height == first.height
    ws.set_setting("old_snapshot.days", 90)  # it matches again: reopened
    assert ws.findings(status="resolved").is_empty()


def test_status_changes_are_checked(demo_workspace: Workspace, tmp_path: Path) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "ws")
    some = ws.findings().item(0, "finding_id")
    with pytest.raises(CloudOptimaError, match="needs a reason"):
        ws.set_finding_status(some, "dismissed")
    with pytest.raises(CloudOptimaError, match="needs a date"):
        ws.set_finding_status(some, "snoozed")
    with pytest.raises(CloudOptimaError, match="no finding with id 'nope'"):
        ws.set_finding_status("nope", "resolved")
    with pytest.raises(CloudOptimaError, match="unknown status"):
        ws.set_finding_status(some, "closed")


def test_realized_savings_measure_the_drop_after_resolution(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    vm = e.vm("idle", power="running")
    e.metric(vm, "Percentage CPU", 0.5)
    e.metric(vm, "Network Out Total", 1_000_000.0)  # without it nothing says the VM is idle
    e.cost(vm, 12.0, days=60, last_day=date(2026, 11, 4))  # 12/day until resolved on Nov 4
    e.cost(vm, 2.0, days=20, last_day=date(2026, 11, 24))  # 2/day after: disks kept
    ws = e.workspace()
    idle = ws.findings(rule="idle_vm").item(0, "finding_id")
    ws.set_finding_status(idle, "resolved", on=date(2026, 11, 4))
    realized = ws.realized_savings().row(0, named=True)
    assert realized["daily_before"] == pytest.approx(12.0)
    assert realized["daily_after"] == pytest.approx(2.0)
    assert realized["days_after"] == 20
    assert realized["realized_monthly_savings"] == pytest.approx(300.0)


def test_cli_findings_json_and_set_status(demo_workspace: Workspace, tmp_path: Path) -> None:
    ws = copy_workspace(demo_workspace, tmp_path / "ws")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudoptima", "--workspace", str(ws.root), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    out = cli("findings", "--rule", "unattached_disk", "--format", "json")
    rows = json.loads(out.stdout)
    assert len(rows) == 3
    assert list(rows[0])[:7] == [
        "finding_id",
        "rule",
        "resource_id",
        "title",
        "monthly_savings",
        "BillingCurrency",
        "status",
    ]
    done = cli(
        "findings", "set-status", rows[0]["finding_id"], "dismissed", "--reason", "kept for audit"
    )
    assert done.returncode == 0, done.stderr
    assert cli("findings", "--status", "dismissed", "--format", "csv").stdout.count("\n") == 2
    refused = cli("findings", "set-status", rows[0]["finding_id"], "snoozed")
    assert (refused.returncode, refused.stderr.strip()) == (
        2,
        "Error: snoozing a finding needs a date to snooze until (--until YYYY-MM-DD)",
    )


def test_findings_stored_by_an_older_rule_catalogue_are_refreshed_on_open(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    """A new cloudoptima (other rules) stores findings again at open: reads stay reads."""
    import sqlite3

    ws = copy_workspace(demo_workspace, tmp_path / "ws")
    generation, count = ws.data_version, ws.findings().height
    with sqlite3.connect(ws.state.path) as con:
        con.execute("UPDATE findings_run SET fingerprint = 'an older catalogue'")
    reopened = Workspace.open(ws.root)
    run = reopened.state.findings_run(reopened.data_version)
    assert run is not None
    assert run["fingerprint"] != "an older catalogue"
    assert reopened.data_version == generation  # no copy of the cost data
    assert reopened.findings().height == count
