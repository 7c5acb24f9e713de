"""The demo estate loads through the real ingest path and matches its ground truth."""

from __future__ import annotations

from typing import Any

import pytest

from cloudoptima import Workspace


def test_demo_imports_every_file_through_ingest(demo_workspace: Workspace) -> None:
    log = demo_workspace.imports()
    assert set(log.get_column("status")) == {"loaded"}
    kinds = log.group_by("kind").len().sort("kind").rows()
    assert kinds == [("cost", 13), ("inventory", 1), ("metrics", 1)]
    formats = set(log.get_column("format"))
    assert formats == {"focus", "resource-graph-json", "azure-metrics-parquet"}


def test_demo_costs_equal_the_ground_truth(
    demo_workspace: Workspace, demo_truth: dict[str, Any]
) -> None:
    totals = demo_workspace.totals().row(0, named=True)
    expected = demo_truth["totals"]
    assert totals["BillingCurrency"] == "USD"
    assert float(totals["BilledCost"]) == pytest.approx(expected["BilledCost"], abs=1e-6)
    assert float(totals["EffectiveCost"]) == pytest.approx(expected["EffectiveCost"], abs=1e-6)
    assert totals["rows"] == expected["rows"]
    assert (str(totals["first_day"]), str(totals["last_day"])) == ("2025-11-01", "2026-11-24")


def test_demo_inventory_and_metrics(demo_workspace: Workspace, demo_truth: dict[str, Any]) -> None:
    assert demo_workspace.sql("SELECT count(*) FROM resources").item() == sum(
        demo_truth["counts"].values()
    )
    subs = demo_workspace.sql("SELECT count(DISTINCT subscription_id) FROM resources").item()
    groups = demo_workspace.sql(
        "SELECT count(DISTINCT lower(resource_group)) FROM resources"
    ).item()
    types = demo_workspace.sql("SELECT count(DISTINCT type) FROM resources").item()
    assert (subs, groups) == (3, 21)  # 20 and the AKS node group MC_RG-Prod-App_aks-cp-prod_eastus
    assert types >= 10
    span = demo_workspace.sql(
        "SELECT date_diff('day', min(timestamp), max(timestamp)) AS days, any_value(grain) AS grain FROM metrics"
    ).row(0, named=True)
    assert span["days"] >= 30
    assert span["grain"] == "PT1H"
    # every planted finding is about inventory resources (a reservation group: its VMs)
    planted = {
        rid
        for f in demo_truth["findings"]
        for rid in (
            f["evidence"]["vm_ids"] if f["rule"] == "reservation_candidate" else [f["resource_id"]]
        )
    }
    known = set(demo_workspace.sql("SELECT resource_id FROM resources").get_column("resource_id"))
    assert planted <= known
