"""Commitment utilization, coverage and savings on a small hand-made FOCUS estate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.analysis.rates import (
    commitment_coverage,
    commitment_utilization,
    rate_optimization,
    savings_summary,
)
from cloudoptima.errors import CloudOptimaError

MONEY = pl.Decimal(38, 10)
SUB = "/subscriptions/00000000-0000-0000-0000-00000000000a"
RI_A = "/providers/Microsoft.Capacity/reservationOrders/a/reservations/ri-a"
RI_C = "/providers/Microsoft.Capacity/reservationOrders/c/reservations/ri-c"
SP_B = "/providers/Microsoft.BillingBenefits/savingsPlanOrders/b/savingsPlans/sp-b"
VM = ("Compute", "Virtual Machines", "Virtual machine", "microsoft.compute/virtualmachines")
DISK = ("Compute", "Virtual Machines", "Disk", "microsoft.compute/disks")
SQL = ("Databases", "Azure SQL Database", "SQL database", "microsoft.sql/servers/databases")
RESERVATION = (
    "Management and Governance",
    "Azure Reservations",
    "Reservation",
    "microsoft.capacity/reservationorders/reservations",
)
COMMITMENTS = {
    RI_A: ("ri-a", "Reservation", "Usage"),
    RI_C: ("ri-c", "Reservation", "Usage"),
    SP_B: ("sp-b", "Savings Plan", "Spend"),
}


def row(
    day: str,
    costs: str,
    service: tuple[str, str, str, str] = VM,
    *,
    pricing: str = "Standard",
    commitment: str = "",
    status: str = "",
    category: str = "Usage",
    currency: str = "USD",
    resource: str = "vm1",
) -> dict[str, str]:
    """One FOCUS row; ``costs`` is "billed effective list contracted" ('-' for none)."""
    billed, effective, listed, contracted = ("" if c == "-" else c for c in costs.split())
    name, kind, commitment_category = COMMITMENTS.get(commitment, ("", "", ""))
    month = day[:7]
    return {
        "BilledCost": billed,
        "EffectiveCost": effective,
        "ListCost": listed,
        "ContractedCost": contracted,
        "BillingAccountId": "/providers/Microsoft.Billing/billingAccounts/1",
        "BillingCurrency": currency,
        "BillingPeriodStart": f"{month}-01T00:00:00Z",
        "BillingPeriodEnd": "2026-10-01T00:00:00Z"
        if month == "2026-09"
        else "2026-11-01T00:00:00Z",
        "ChargePeriodStart": f"{day}T00:00:00Z",
        "ChargePeriodEnd": f"{day[:8]}{int(day[8:]) + 1:02d}T00:00:00Z",
        "ChargeCategory": category,
        "PricingCategory": pricing,
        "CommitmentDiscountId": commitment,
        "CommitmentDiscountName": name,
        "CommitmentDiscountType": kind,
        "CommitmentDiscountCategory": commitment_category,
        "CommitmentDiscountStatus": status,
        "ServiceCategory": service[0],
        "ServiceName": service[1],
        "ResourceType": service[2],
        "x_ResourceType": service[3],
        "ResourceId": f"{SUB}/resourcegroups/rg/providers/{service[3]}/{resource}",
        "SubAccountId": SUB,
    }


ESTATE = [
    # September, USD: reservation ri-a covers vm1 and is 75 % used
    row("2026-09-01", "0 30 50 45", pricing="Committed", commitment=RI_A, status="Used"),
    row("2026-09-02", "0 30 50 45", pricing="Committed", commitment=RI_A, status="Used"),
    row(
        "2026-09-02",
        "0 20 20 20",
        RESERVATION,
        pricing="Committed",
        commitment=RI_A,
        status="Unused",
        resource="ri-a",
    ),
    row(
        "2026-09-01",
        "80 0 80 80",
        RESERVATION,
        pricing="Committed",
        commitment=RI_A,
        category="Purchase",
        resource="ri-a",
    ),
    row("2026-09-01", "90 90 100 90", resource="vm2"),
    row("2026-09-01", "10 10 12 10", DISK, resource="disk1"),
    row("2026-09-01", "40 40 50 40", SQL, resource="db1"),
    row("2026-09-01", "5 5 20 5", pricing="Dynamic", resource="spot1"),
    # October, USD: savings plan sp-b, 60 % used, covers all VM usage
    row(
        "2026-10-01",
        "0 60 100 90",
        pricing="Committed",
        commitment=SP_B,
        status="Used",
        resource="vm2",
    ),
    row(
        "2026-10-01",
        "0 40 40 40",
        pricing="Committed",
        commitment=SP_B,
        status="Unused",
        resource="sp-b",
    ),
    # September, EUR: never added to USD; a Marketplace row whose list price is 0
    row("2026-09-01", "100 100 120 100", currency="EUR", resource="vm3"),
    row(
        "2026-09-02",
        "0 50 120 100",
        pricing="Committed",
        commitment=RI_C,
        status="Used",
        currency="EUR",
        resource="vm3",
    ),
    row("2026-09-01", "10 10 0 10", SQL, currency="EUR", resource="db2"),
]


def ingest(workspace: Workspace, path: Path, rows: list[dict[str, str]]) -> Workspace:
    """Write ``rows`` as a FOCUS CSV and import it."""
    pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).write_csv(path)
    assert workspace.ingest([path])[0].status == "loaded"
    return workspace


@pytest.fixture
def estate(workspace: Workspace, tmp_path: Path) -> Workspace:
    return ingest(workspace, tmp_path / "focus.csv", ESTATE)


def money(*values: str | None) -> pl.Series:
    return pl.Series([None if v is None else Decimal(v) for v in values], dtype=MONEY)


def test_utilization_is_used_over_used_plus_unused_per_commitment_and_month(
    estate: Workspace,
) -> None:
    expected = pl.DataFrame(
        {
            "period": [date(2026, 9, 1), date(2026, 9, 1), date(2026, 10, 1)],
            "CommitmentDiscountId": [RI_C, RI_A, SP_B],
            "CommitmentDiscountName": ["ri-c", "ri-a", "sp-b"],
            "CommitmentDiscountType": ["Reservation", "Reservation", "Savings Plan"],
            "BillingCurrency": ["EUR", "USD", "USD"],
            "used_cost": money("50", "60", "60"),
            "unused_cost": money("0", "20", "40"),
            "utilization": [1.0, 0.75, 0.6],
        }
    )
    assert_frame_equal(commitment_utilization(estate), expected)


def test_utilization_by_year_and_window(estate: Workspace) -> None:
    frame = commitment_utilization(
        estate, grain="year", start=date(2026, 9, 2), end=date(2026, 9, 30)
    )
    assert frame.select("CommitmentDiscountName", "used_cost", "utilization").rows() == [
        ("ri-c", Decimal(50), 1.0),
        ("ri-a", Decimal(30), 0.6),
    ]
    assert frame.get_column("period").to_list() == [date(2026, 1, 1)] * 2


def test_coverage_defaults_to_virtual_machines(estate: Workspace) -> None:
    # Disks (Compute but not discounted), SQL and Spot usage are not eligible. Both sides
    # count at their on-demand equivalent (ListCost): ri-a's two days at 50 each, not at
    # their discounted 30; vm2 at 100 (it was billed 90 after a negotiated discount).
    expected = pl.DataFrame(
        {
            "period": [date(2026, 9, 1), date(2026, 9, 1), date(2026, 10, 1)],
            "BillingCurrency": ["EUR", "USD", "USD"],
            "covered_cost": money("120", "100", "100"),
            "on_demand_cost": money("120", "100", "0"),
            "coverage": [0.5, 0.5, 1.0],
        }
    )
    assert_frame_equal(commitment_coverage(estate), expected)


@pytest.mark.parametrize(
    ("category", "covered", "on_demand", "coverage"),
    [("Compute", "100", "112", 100 / 212), ("Databases", "0", "50", 0.0)],
)
def test_coverage_of_a_service_category(
    estate: Workspace, category: str, covered: str, on_demand: str, coverage: float
) -> None:
    frame = commitment_coverage(estate, service_category=category, end=date(2026, 9, 30))
    usd = frame.filter(pl.col("BillingCurrency") == "USD")
    assert usd.select("covered_cost", "on_demand_cost", "coverage").rows() == [
        (Decimal(covered), Decimal(on_demand), coverage)
    ]


def test_savings_per_currency_leave_out_commitment_purchases(estate: Workspace) -> None:
    # EUR: the Marketplace row's ListCost 0 < ContractedCost adds no negative savings.
    # USD: used commitments save 30 (ri-a) + 30 (sp-b) over contracted prices, but 20 + 40
    # of commitment went unused: paid for nothing, it takes the commitment savings to 0
    # and the total from 117 to 57, over the 382 of list cost that was used.
    expected = pl.DataFrame(
        {
            "BillingCurrency": ["EUR", "USD"],
            "list_cost": money("240", "442"),
            "contracted_cost": money("210", "385"),
            "effective_cost": money("160", "325"),
            "unused_commitment_cost": money("0", "60"),
            "negotiated_savings": money("40", "57"),
            "commitment_savings": money("50", "0"),
            "total_savings": money("90", "57"),
            "effective_savings_rate": [90 / 240, 57 / 382],
            "notes": [[], []],
        },
        schema_overrides={"notes": pl.List(pl.String)},
    )
    assert_frame_equal(savings_summary(estate), expected)


def test_savings_cover_only_rows_with_the_columns_and_say_so(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = [row("2026-09-01", "90 90 100 90"), row("2026-09-02", "30 30 - 30", resource="vm2")]
    frame = savings_summary(ingest(workspace, tmp_path / "partial.csv", rows))
    assert frame.select("list_cost", "total_savings", "effective_savings_rate").row(0) == (
        Decimal(100),
        Decimal(10),
        0.1,
    )
    assert frame.get_column("contracted_cost").item() == Decimal(120)
    assert frame.get_column("notes").item().to_list() == [
        "ListCost is missing on 1 of 2 rows (25.0% of the cost); negotiated savings, "
        "total savings and the effective savings rate cover only the rows that have it."
    ]


EA_ACTUAL = """SubscriptionId,SubscriptionName,Date,MeterCategory,MeterId,ResourceId,Quantity,UnitPrice,CostInBillingCurrency,BillingCurrencyCode,ChargeType,PricingModel,UnitOfMeasure
{sub},Prod,09/01/2026,Virtual Machines,m1,{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1,24,0.5,12,USD,Usage,OnDemand,1 Hour
{sub},Prod,09/02/2026,Virtual Machines,m1,{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1,24,0.5,12,USD,Usage,OnDemand,1 Hour
"""


def test_ea_actual_export_gives_notes_not_numbers(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "ea_actual.csv"
    path.write_text(EA_ACTUAL.format(sub=SUB), encoding="utf-8")
    workspace.ingest([path])
    frame = savings_summary(workspace)
    assert frame.row(0)[:9] == ("USD", None, Decimal(24), None, 0, None, None, None, None)
    notes = frame.get_column("notes").item().to_list()
    assert notes[0].startswith("ListCost is missing on all 2 rows (typical of EA exports")
    assert notes[1].startswith("EffectiveCost is missing on all 2 rows")
    # without EffectiveCost there is nothing to measure utilization or coverage with
    assert commitment_utilization(workspace).is_empty()
    assert commitment_coverage(workspace).is_empty()


EA_BOTH = """SubscriptionId,SubscriptionName,Date,MeterCategory,MeterId,ResourceId,Quantity,UnitPrice,PayGPrice,CostInBillingCurrency,BillingCurrencyCode,ChargeType,PricingModel,UnitOfMeasure
{sub},Prod,09/01/2026,Virtual Machines,m1,{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1,24,0.5,0.6,12,USD,Usage,OnDemand,1 Hour
{sub},Prod,09/01/2026,Virtual Machines,m1,{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2,24,0.5,0.6,{reserved},USD,Usage,Reservation,1 Hour
"""


def test_actual_rows_are_not_counted_twice_beside_amortized_rows(
    workspace: Workspace, tmp_path: Path
) -> None:
    amortized, actual = tmp_path / "amortized.csv", tmp_path / "actual.csv"
    amortized.write_text(EA_BOTH.format(sub=SUB, reserved=8), encoding="utf-8")
    actual.write_text(EA_BOTH.format(sub=SUB, reserved=0), encoding="utf-8")
    workspace.ingest([amortized], kind="amortized")
    workspace.ingest([actual], kind="actual")
    frame = savings_summary(workspace)
    assert frame.row(0)[:8] == ("USD", *(Decimal(v) for v in ("28.8", 24, 20, 0, "4.8", 4, "8.8")))
    assert frame.get_column("effective_savings_rate").item() == pytest.approx(8.8 / 28.8)
    assert frame.get_column("notes").item().to_list() == [
        "2 actual-cost rows are left out: amortized rows cover the same billing periods."
    ]


def test_rate_optimization_bundles_the_three(estate: Workspace) -> None:
    bundle = rate_optimization(estate, grain="month", end=date(2026, 9, 30))
    assert_frame_equal(bundle.savings, savings_summary(estate, end=date(2026, 9, 30)))
    assert bundle.utilization.height == 2


def test_empty_workspace_and_bad_grain(workspace: Workspace) -> None:
    bundle = rate_optimization(workspace)
    assert all(f.is_empty() for f in (bundle.utilization, bundle.coverage, bundle.savings))
    with pytest.raises(CloudOptimaError, match="unknown grain 'fortnight'"):
        commitment_utilization(workspace, grain="fortnight")


def test_an_actual_export_of_one_subscription_is_not_dropped_for_anothers_amortized_rows(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Negotiated savings of a subscription with only actual cost: 20, not 0."""
    other = "/subscriptions/00000000-0000-0000-0000-00000000000b"
    amortized, actual = tmp_path / "amortized.csv", tmp_path / "actual.csv"
    amortized.write_text(EA_BOTH.format(sub=other, reserved=8), encoding="utf-8")
    lines = EA_ACTUAL.format(sub=SUB).replace("0.5,12", "0.5,0.6,12").splitlines()
    lines[0] = lines[0].replace("UnitPrice,", "UnitPrice,PayGPrice,")
    actual.write_text("\n".join(lines) + "\n", encoding="utf-8")
    workspace.ingest([amortized], kind="amortized")
    workspace.ingest([actual], kind="actual")
    frame = savings_summary(workspace)
    # subscription a: list 2 x 14.4, contracted 2 x 12 -> 4.8; subscription b: 4.8 as above
    assert frame.get_column("negotiated_savings").item() == Decimal("9.6")
    [note] = frame.get_column("notes").item().to_list()  # nothing "left out" as a duplicate
    assert note.startswith("EffectiveCost is missing on 2 of 4 rows")


def test_unused_commitment_lowers_the_effective_savings_rate(
    workspace: Workspace, tmp_path: Path
) -> None:
    """FinOps Foundation ESR: (on-demand equivalent - amortized spend incl. waste) / on-demand.

    A reservation covers usage listed at 700 for 420 (40 % off) and 120 of it went unused;
    on-demand usage of 300 was paid at list. ESR = (1,000 - 840) / 1,000 = 16 %, where
    leaving the waste out would claim 28 %.
    """
    rows = [
        row("2026-09-01", "0 420 700 700", pricing="Committed", commitment=RI_A, status="Used"),
        row(
            "2026-09-01",
            "0 120 - -",
            RESERVATION,
            pricing="Committed",
            commitment=RI_A,
            status="Unused",
            resource="ri-a",
        ),
        row("2026-09-01", "300 300 300 300", resource="vm2"),
    ]
    frame = savings_summary(ingest(workspace, tmp_path / "esr.csv", rows)).row(0, named=True)
    assert frame["unused_commitment_cost"] == Decimal(120)
    assert frame["commitment_savings"] == Decimal(160)  # 280 saved on usage - 120 wasted
    assert frame["total_savings"] == Decimal(160)
    assert frame["effective_savings_rate"] == pytest.approx(0.16)


def test_coverage_counts_covered_usage_at_its_on_demand_equivalent(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Covered usage billed 80 (listed 120) beside 20 on demand: 85.7 %, not 80 %."""
    rows = [
        row("2026-09-01", "0 80 120 120", pricing="Committed", commitment=RI_A, status="Used"),
        row("2026-09-01", "20 20 20 20", resource="vm2"),
    ]
    frame = commitment_coverage(ingest(workspace, tmp_path / "cov.csv", rows))
    assert frame.get_column("coverage").item() == pytest.approx(120 / 140)
