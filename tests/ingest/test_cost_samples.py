"""Every real sample export either loads with its exact per-currency sums, or is rejected clearly."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from cloudoptima import Workspace

# file -> (cost column, currency column, dataset) for files that must load
LOADS = {
    "focus1.0_sample_multicloud.csv": ("BilledCost", "BillingCurrency", "focus"),
    "ftk_EA_ActualCost_Small.csv": ("Cost", "BillingCurrency", "actual"),
    "ftk_EA_NoRows.csv": ("Cost", "BillingCurrency", "actual"),
    "opencost_headersets_Enterprise.csv": (
        "CostInBillingCurrency",
        "BillingCurrencyCode",
        "actual",
    ),
    "opencost_headersets_EnterpriseCamel.csv": (
        "costInBillingCurrency",
        "billingCurrency",
        "actual",
    ),
    "opencost_headersets_German.csv": ("PreTaxCost (PreTaxCost)", "Currency", "actual"),
    "opencost_headersets_PayAsYouGo.csv": ("PreTaxCost", "Currency", "actual"),
    "opencost_headersets_YA.csv": ("costInBillingCurrency", "Currency", "actual"),
}
# file -> why it is refused (a regex on the error)
REJECTS = {
    # Its only row is empty but for the date: no cost, no currency.
    "opencost_headersets_BOM.csv": r"opencost_headersets_BOM\.csv, row 1, line 2, column 'PreTaxCost': the value is empty",
    # Reduced 11-column rows without any currency column: the currency must be given.
    "opencost_values_MissingBrackets.csv": r"no currency column .* --currency",
    "opencost_values_VirtualMachine.csv": r"no currency column .* --currency",
}


def file_sums(path: Path, cost: str, currency: str) -> dict[str, Decimal]:
    """Per-currency sum of a column, computed independently with the csv module."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            sums[row[currency].upper()] += Decimal(row[cost])
    return dict(sums)


def workspace_sums(ws: Workspace, metric: str) -> dict[str, Decimal]:
    frame = ws.sql(f"SELECT BillingCurrency, sum({metric}) AS s FROM costs GROUP BY 1")
    return {r["BillingCurrency"]: r["s"] for r in frame.iter_rows(named=True)}


def test_every_sample_is_classified(samples: Path) -> None:
    names = {p.name for p in (samples / "cost-exports").iterdir()}
    recommendations = {"ftk_EA-Reservations-Recommendations_early.csv"}
    assert names == set(LOADS) | set(REJECTS) | recommendations


@pytest.mark.parametrize("name", sorted(LOADS))
def test_sample_loads_with_exact_sums(samples: Path, workspace: Workspace, name: str) -> None:
    cost, currency, dataset = LOADS[name]
    path = samples / "cost-exports" / name
    [result] = workspace.ingest([path])
    assert result.status == "loaded", result.error
    expected = file_sums(path, cost, currency)
    metric = "EffectiveCost" if dataset == "amortized" else "BilledCost"
    actual = workspace_sums(workspace, metric)
    assert actual.keys() == expected.keys()
    for cur, value in expected.items():
        assert abs(actual[cur] - value) <= Decimal("1e-6"), cur
    log = workspace.imports().row(0, named=True)
    assert (log["status"], log["dataset"], log["rows"]) == (
        "loaded",
        dataset,
        sum(1 for _ in _rows(path)),
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_focus_sample_keeps_effective_cost_and_all_providers(
    samples: Path, workspace: Workspace
) -> None:
    path = samples / "cost-exports" / "focus1.0_sample_multicloud.csv"
    workspace.ingest([path])
    expected = file_sums(path, "EffectiveCost", "BillingCurrency")
    actual = workspace_sums(workspace, "EffectiveCost")
    assert {k: float(v) for k, v in actual.items()} == pytest.approx(
        {k: float(v) for k, v in expected.items()}, abs=1e-6
    )
    providers = workspace.sql("SELECT ProviderName, count(*) AS n FROM costs GROUP BY 1 ORDER BY 1")
    assert dict(providers.iter_rows()) == {"AWS": 942, "Microsoft": 51, "Oracle": 7}
    # literal NULL strings are NULLs, and dates without T/Z are read as UTC
    row = workspace.sql(
        "SELECT count(*) FILTER (WHERE ChargeClass = 'NULL') AS bad, min(ChargePeriodStart) AS first FROM costs"
    ).row(0, named=True)
    assert row["bad"] == 0
    assert str(row["first"]).startswith("2024-09")


@pytest.mark.parametrize("name", sorted(REJECTS))
def test_malformed_sample_is_rejected_clearly(
    samples: Path, workspace: Workspace, name: str
) -> None:
    [result] = workspace.ingest([samples / "cost-exports" / name])
    assert result.status == "failed"
    assert result.error is not None
    assert re.search(REJECTS[name], result.error), result.error
    assert workspace.sql("SELECT count(*) AS n FROM costs").item() == 0
    assert workspace.imports().row(0, named=True)["status"] == "failed"


def test_exports_without_currency_load_when_it_is_given(
    samples: Path, workspace: Workspace
) -> None:
    with_braces = samples / "cost-exports" / "opencost_values_VirtualMachine.csv"
    without = samples / "cost-exports" / "opencost_values_MissingBrackets.csv"
    results = workspace.ingest([with_braces], currency="usd")
    results += Workspace.open(workspace.root.parent / "other", create=True).ingest(
        [without], currency="USD"
    )
    assert [r.status for r in results] == ["loaded", "loaded"]
    tags = workspace.sql("SELECT Tags::VARCHAR AS t, BilledCost, BillingCurrency FROM costs").row(
        0, named=True
    )
    other = Workspace.open(workspace.root.parent / "other")
    same = other.sql("SELECT Tags::VARCHAR AS t FROM costs").item()
    # the brace-less tags are wrapped, giving the same JSON object as the braced file
    assert tags["t"] == same
    assert tags["BillingCurrency"] == "USD"
    assert tags["BilledCost"] == Decimal("4")


def test_ea_legacy_sample_maps_to_focus(samples: Path, workspace: Workspace) -> None:
    workspace.ingest([samples / "cost-exports" / "ftk_EA_ActualCost_Small.csv"])
    purchase = workspace.sql(
        """SELECT ChargeCategory, PricingCategory, CommitmentDiscountType, BilledCost, EffectiveCost,
                  ChargePeriodStart::DATE::VARCHAR AS day, BillingPeriodEnd::DATE::VARCHAR AS period_end
           FROM costs WHERE ChargeCategory = 'Purchase'"""
    ).row(0, named=True)
    assert purchase == {
        "ChargeCategory": "Purchase",
        "PricingCategory": "Committed",
        "CommitmentDiscountType": "Reservation",
        "BilledCost": Decimal("3.25"),
        "EffectiveCost": None,
        "day": "2023-09-21",
        "period_end": "2023-10-01",
    }
    ids = workspace.sql(
        "SELECT count(*) AS n FROM costs WHERE ResourceId <> lower(ResourceId)"
    ).item()
    assert ids == 0


def test_german_localised_header_is_understood(samples: Path, workspace: Workspace) -> None:
    workspace.ingest([samples / "cost-exports" / "opencost_headersets_German.csv"])
    row = workspace.sql(
        "SELECT SubAccountId, x_ResourceGroupName, RegionId, ServiceName, BilledCost FROM costs"
    ).row(0, named=True)
    assert row == {
        "SubAccountId": "/subscriptions/11111111-12ab-34dc-56ef-123456abcdef",
        "x_ResourceGroupName": "Example-Resource-Group",
        "RegionId": "eastus",
        "ServiceName": "Load Balancer",
        "BilledCost": Decimal("0.075"),
    }


def test_reservation_recommendations_are_stored(samples: Path, workspace: Workspace) -> None:
    path = samples / "cost-exports" / "ftk_EA-Reservations-Recommendations_early.csv"
    [result] = workspace.ingest([path])
    assert (result.status, result.kind, result.rows) == (
        "loaded",
        "reservation-recommendations",
        23,
    )
    total = workspace.sql("SELECT sum(net_savings) AS s FROM reservation_recommendations").item()
    assert total == pytest.approx(sum(float(r["NetSavings"]) for r in _rows(path)))
