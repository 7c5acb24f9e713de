"""Command-line parity with the app: cost filters, grain, metric, inheritance; rate
optimization, tag coverage and showback with JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from cloudoptima import Workspace


def cli(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudoptima", "--workspace", str(ws.root), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def as_json(ws: Workspace, *args: str) -> object:
    out = cli(ws, *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_costs_filters_grain_and_metric_match_the_library(demo_workspace: Workspace) -> None:
    rows = as_json(
        demo_workspace,
        "costs",
        "--by",
        "ServiceName",
        "--where",
        "tag:env=prod",
        "--where",
        "ServiceName=Virtual Machines",
        "--where",
        "ServiceName=Azure SQL Database",
        "--grain",
        "month",
        "--metric",
        "BilledCost",
        "--start",
        "2026-09-01",
    )
    expected = demo_workspace.costs(
        "ServiceName",
        start=date(2026, 9, 1),
        metric="BilledCost",
        grain="month",
        filters={"tag:env": ["prod"], "ServiceName": ["Virtual Machines", "Azure SQL Database"]},
    )
    assert isinstance(rows, list)
    assert [set(r) for r in rows[:1]] == [
        {"period", "ServiceName", "BillingCurrency", "BilledCost", "BilledCostFallback"}
    ]
    assert {r["ServiceName"] for r in rows} == {"Virtual Machines", "Azure SQL Database"}
    assert {r["period"] for r in rows} == {"2026-09-01", "2026-10-01", "2026-11-01"}
    assert sum(r["BilledCost"] for r in rows) == pytest.approx(float(expected["BilledCost"].sum()))


def test_costs_weekly_by_an_inherited_tag(demo_workspace: Workspace) -> None:
    rows = as_json(demo_workspace, "costs", "--by", "tag:team", "--grain", "week", "--inherit-tags")
    expected = demo_workspace.costs("tag:team", grain="week", inherit_tags=True)
    assert isinstance(rows, list)
    assert len(rows) == expected.height
    assert rows[0]["period"] == str(expected["period"][0])


def test_a_where_without_a_value_is_one_sentence(demo_workspace: Workspace) -> None:
    out = cli(demo_workspace, "costs", "--where", "ServiceName")
    assert out.returncode == 2
    assert out.stderr.startswith("Error: --where needs DIMENSION=VALUE")
    assert "Traceback" not in out.stderr


def test_rate_optimization_json_per_month(demo_workspace: Workspace) -> None:
    doc = as_json(demo_workspace, "rate-optimization")
    assert isinstance(doc, dict)
    assert set(doc) == {"by_month", "commitments", "savings"}
    months = doc["by_month"]
    assert len(months) == 13
    november = months[-1]
    assert november["period"] == "2026-11-01"
    assert november["utilization"] == 1.0
    assert 0 < november["coverage"] < 0.05
    assert 0.11 < november["effective_savings_rate"] < 0.12
    whole = demo_workspace.rate_optimization().savings.row(0, named=True)
    assert sum(m["total_savings"] for m in months) == pytest.approx(float(whole["total_savings"]))
    assert doc["commitments"][0]["CommitmentDiscountName"] == "VM_RI_D4s_v5_prod-web"
    table = cli(demo_workspace, "rate-optimization")
    assert "utilization %" in table.stdout
    assert "effective_savings_rate %" in table.stdout


def test_tag_coverage_and_showback_json(demo_workspace: Workspace) -> None:
    coverage = as_json(demo_workspace, "tag-coverage", "--tags", "env,team")
    assert isinstance(coverage, list)
    assert [r["tag"] for r in coverage] == ["env", "team", "(all required)"]
    expected = demo_workspace.tag_coverage(["env", "team"])
    assert coverage[1]["untagged_cost"] == pytest.approx(float(expected["untagged_cost"][1]))
    rows = as_json(
        demo_workspace, "showback", "team", "--start", "2026-10-01", "--end", "2026-10-31"
    )
    assert isinstance(rows, list)
    assert rows[-1]["tag:team"] == "(unallocated)"
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    october = demo_workspace.costs(
        start=date(2026, 10, 1), end=date(2026, 10, 31), metric="EffectiveCost"
    )
    total = sum(Decimal(str(r["cost"])) for r in rows)
    assert float(total) == pytest.approx(float(october["EffectiveCost"].sum()))
    csv = cli(demo_workspace, "showback", "team", "--format", "csv")
    assert csv.stdout.splitlines()[0] == "tag:team,BillingCurrency,cost,share"
