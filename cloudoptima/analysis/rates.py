"""Rate optimization from FOCUS columns: commitment utilization, coverage and savings.

The definitions follow the FinOps toolkit's Rate optimization report: negotiated
savings = ListCost - ContractedCost, commitment savings = ContractedCost -
EffectiveCost, total savings = ListCost - EffectiveCost, effective savings rate
(ESR) = total savings / ListCost. Figures are per BillingCurrency and computed
from EffectiveCost (amortized), which actual-cost exports do not carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from cloudoptima.analysis.dimensions import date_filter
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.reader import Reader
from cloudoptima.storage.sql import quote_literal

GRAINS = ("day", "week", "month", "quarter", "year")
# Reservations and savings plans are bought mostly for VM compute hours; disks,
# snapshots and licences share the Compute category but are not discounted by them.
VM_TYPES = ("microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets")
VM_TYPE_NAMES = ("virtual machine", "virtual machines", "virtual machine scale set")
# The purchase of a commitment reaches EffectiveCost through the amortized usage
# rows; counting the purchase row too would show its whole price as savings.
NOT_COMMITMENT_PURCHASE = (
    "NOT (ChargeCategory = 'Purchase' "
    "AND coalesce(CommitmentDiscountCategory, CommitmentDiscountId) IS NOT NULL)"
)
SAVINGS_COLUMNS = (
    "BillingCurrency",
    "list_cost",
    "contracted_cost",
    "effective_cost",
    "unused_commitment_cost",
    "negotiated_savings",
    "commitment_savings",
    "total_savings",
    "effective_savings_rate",
    "notes",
)
# What each cost column is needed for, and why an export may lack it.
NEEDED_FOR = {
    "ListCost": (
        "negotiated savings, total savings and the effective savings rate",
        "typical of EA exports, which carry no list prices",
    ),
    "ContractedCost": (
        "negotiated and commitment savings",
        "typical of exports without unit prices",
    ),
    "EffectiveCost": (
        "commitment savings, total savings and the effective savings rate",
        "typical of actual-cost exports, which carry no amortized cost",
    ),
}


def commitment_utilization(
    reader: Reader, *, grain: str = "month", start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """How much of each reservation or savings plan was used, per period.

    Parameters
    ----------
    reader
        The workspace to read.
    grain
        Period length: day, week, month, quarter or year.
    start, end
        Inclusive days of ChargePeriodStart.

    Returns
    -------
    polars.DataFrame
        period, CommitmentDiscountId, CommitmentDiscountName (latest),
        CommitmentDiscountType, BillingCurrency, used_cost (EffectiveCost of rows
        with CommitmentDiscountStatus 'Used'), unused_cost ('Unused') and
        utilization = used / (used + unused).
    """
    where, params = _where(
        start,
        end,
        "CommitmentDiscountStatus IN ('Used', 'Unused')",
        "CommitmentDiscountId IS NOT NULL",
        "EffectiveCost IS NOT NULL",
    )
    used = _sum_if("CommitmentDiscountStatus = 'Used'")
    unused = _sum_if("CommitmentDiscountStatus = 'Unused'")
    return reader.sql(
        f"""SELECT {_period(grain)} AS period, CommitmentDiscountId,
                   arg_max(CommitmentDiscountName, ChargePeriodStart) AS CommitmentDiscountName,
                   arg_max(CommitmentDiscountType, ChargePeriodStart) AS CommitmentDiscountType,
                   BillingCurrency, {used} AS used_cost, {unused} AS unused_cost,
                   ({used} / nullif({used} + {unused}, 0))::DOUBLE AS utilization
            FROM costs {where}
            GROUP BY period, CommitmentDiscountId, BillingCurrency
            ORDER BY period, BillingCurrency, CommitmentDiscountId""",
        params,
    )


def commitment_coverage(
    reader: Reader,
    *,
    grain: str = "month",
    start: date | None = None,
    end: date | None = None,
    service_category: str | None = None,
) -> pl.DataFrame:
    """Share of commitment-eligible usage that a commitment covered, per period.

    Parameters
    ----------
    reader
        The workspace to read.
    grain
        Period length: day, week, month, quarter or year.
    start, end
        Inclusive days of ChargePeriodStart.
    service_category
        Eligible usage: all Usage rows of this FOCUS ServiceCategory (for example
        ``"Databases"`` for SQL reservations). The default, None, takes virtual
        machines and scale sets only (Compute rows of those resource types), as
        disks and snapshots in the Compute category are not discounted.

    Returns
    -------
    polars.DataFrame
        period, BillingCurrency, covered_cost (the on-demand equivalent — ListCost, else
        ContractedCost, else EffectiveCost — of Usage rows with PricingCategory
        'Committed' and status 'Used'), on_demand_cost (the same of Usage rows with
        PricingCategory 'Standard'; Spot is not eligible) and coverage =
        covered / (covered + on demand).
    """
    where, params = _where(
        start,
        end,
        "ChargeCategory = 'Usage'",
        "EffectiveCost IS NOT NULL",
        _eligible(service_category),
    )
    # Both sides at their on-demand equivalent: covered usage at its discounted cost would
    # make a deep discount look like low coverage.
    covered = _equivalent_if("PricingCategory = 'Committed' AND CommitmentDiscountStatus = 'Used'")
    on_demand = _equivalent_if("PricingCategory = 'Standard'")
    return reader.sql(
        f"""SELECT {_period(grain)} AS period, BillingCurrency,
                   {covered} AS covered_cost, {on_demand} AS on_demand_cost,
                   ({covered} / nullif({covered} + {on_demand}, 0))::DOUBLE AS coverage
            FROM costs {where}
            GROUP BY period, BillingCurrency
            HAVING {covered} + {on_demand} <> 0
            ORDER BY period, BillingCurrency""",
        params,
    )


def savings_summary(
    reader: Reader, *, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """Negotiated, commitment and total savings and the effective savings rate.

    Each figure is summed only over the rows that carry the columns it needs (a
    row never adds negative savings, as in the FinOps toolkit's query); ``notes``
    says how many rows, and what share of the cost, lacked a column. Commitment
    purchases are left out, as their price reaches EffectiveCost through
    amortization, and so are actual-cost rows of billing periods that amortized
    rows also cover, as both carry the same list and contracted costs.

    Returns
    -------
    polars.DataFrame
        Per BillingCurrency: list_cost, contracted_cost, effective_cost,
        negotiated_savings, commitment_savings, total_savings,
        effective_savings_rate (total savings / ListCost of the same rows) and
        notes (a list of sentences, empty when every column is complete).
    """
    where, params = _where(start, end, NOT_COMMITMENT_PURCHASE)
    totals = reader.sql(_savings_sql(where), params)
    notes = pl.Series(
        "notes", [_notes(row) for row in totals.iter_rows(named=True)], dtype=pl.List(pl.String)
    )
    return totals.with_columns(notes).select(SAVINGS_COLUMNS)


@dataclass(frozen=True)
class RateOptimization:
    """Commitment utilization and coverage per period, and the savings summary per currency."""

    utilization: pl.DataFrame
    coverage: pl.DataFrame
    savings: pl.DataFrame


def rate_optimization(
    reader: Reader,
    *,
    grain: str = "month",
    start: date | None = None,
    end: date | None = None,
    service_category: str | None = None,
) -> RateOptimization:
    """Utilization, coverage and savings together."""
    return RateOptimization(
        utilization=commitment_utilization(reader, grain=grain, start=start, end=end),
        coverage=commitment_coverage(
            reader, grain=grain, start=start, end=end, service_category=service_category
        ),
        savings=savings_summary(reader, start=start, end=end),
    )


def _where(start: date | None, end: date | None, *conditions: str) -> tuple[str, list[Any]]:
    where, params = date_filter(start, end)
    clauses = [where.removeprefix("WHERE ")] if where else []
    return "WHERE " + " AND ".join([*clauses, *conditions]), params


def _period(grain: str) -> str:
    if grain not in GRAINS:
        raise CloudOptimaError(f"unknown grain '{grain}'; use one of {', '.join(GRAINS)}")
    return f"date_trunc({quote_literal(grain)}, ChargePeriodStart)::DATE"


def _equivalent_if(condition: str) -> str:
    """Sum of the on-demand equivalent (list, else contracted, else effective cost) of rows."""
    value = "coalesce(ListCost, ContractedCost, EffectiveCost)"
    return f"coalesce(sum({value}) FILTER (WHERE {condition}), 0)"


def _sum_if(condition: str) -> str:
    """Sum of EffectiveCost over matching rows, 0 (not NULL) when none match."""
    return f"coalesce(sum(EffectiveCost) FILTER (WHERE {condition}), 0)"


def _savings_sql(where: str) -> str:
    missing = ", ".join(
        f"count(*) FILTER (WHERE {c} IS NULL) AS missing_{c}, "
        f"sum(coalesce(EffectiveCost, BilledCost)) FILTER (WHERE {c} IS NULL) AS missing_cost_{c}"
        for c in NEEDED_FOR
    )
    return f"""
    WITH base AS (SELECT * FROM costs {where}),
    amortized AS (  -- per subscription and billing period: never drop another's actual rows
        SELECT DISTINCT BillingCurrency, coalesce(SubAccountId, '') AS _sub, BillingPeriodStart
        FROM base WHERE _dataset IS DISTINCT FROM 'actual'),
    marked AS (
        SELECT base.*, _dataset = 'actual' AND a.BillingCurrency IS NOT NULL AS duplicate
        FROM base LEFT JOIN amortized AS a ON a.BillingCurrency = base.BillingCurrency
             AND a._sub = coalesce(base.SubAccountId, '')
             AND a.BillingPeriodStart = base.BillingPeriodStart),
    duplicates AS (
        SELECT BillingCurrency, count(*) AS duplicates FROM marked WHERE duplicate GROUP BY ALL),
    totals AS (
        SELECT BillingCurrency, sum(ListCost) AS list_cost,
               sum(ContractedCost) AS contracted_cost, sum(EffectiveCost) AS effective_cost,
               {_UNUSED} AS unused_commitment_cost,
               {_savings("ListCost", "ContractedCost")} AS negotiated_savings,
               {_savings("ContractedCost", "EffectiveCost")} - {_UNUSED} AS commitment_savings,
               {_savings("ListCost", "EffectiveCost")} - {_UNUSED} AS total_savings,
               (({_savings("ListCost", "EffectiveCost")} - {_UNUSED})
                / nullif(sum(ListCost) FILTER (WHERE EffectiveCost IS NOT NULL AND {_USED}), 0))::DOUBLE
                   AS effective_savings_rate,
               count(*) AS rows, sum(coalesce(EffectiveCost, BilledCost)) AS cost, {missing}
        FROM marked WHERE NOT duplicate GROUP BY BillingCurrency)
    SELECT * FROM totals LEFT JOIN duplicates USING (BillingCurrency) ORDER BY BillingCurrency"""


# Unused commitment is cost paid for nothing: it lowers commitment and total savings and
# the effective savings rate (FinOps Foundation: ESR = (on-demand equivalent - actual
# amortized spend, waste included) / on-demand equivalent).
_USED = "CommitmentDiscountStatus IS DISTINCT FROM 'Unused'"
_UNUSED = "coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Unused'), 0)"


def _savings(higher: str, lower: str) -> str:
    """Sum of ``higher - lower`` per row of used cost, floored at 0; NULL rows are skipped."""
    return (
        f"sum(CASE WHEN NOT ({_USED}) THEN NULL WHEN {higher} < {lower} THEN 0 "
        f"ELSE {higher} - {lower} END)"
    )


def _eligible(service_category: str | None) -> str:
    if service_category is not None:
        return f"ServiceCategory = {quote_literal(service_category)}"
    types = ", ".join(quote_literal(t) for t in VM_TYPES)
    names = ", ".join(quote_literal(t) for t in VM_TYPE_NAMES)
    return (
        f"ServiceCategory = 'Compute' AND (lower(x_ResourceType) IN ({types}) "
        f"OR (x_ResourceType IS NULL AND lower(ResourceType) IN ({names})))"
    )


def _notes(row: dict[str, Any]) -> list[str]:
    """Sentences about the cost columns some rows lack, for one currency."""
    notes = []
    if row["duplicates"]:
        notes.append(
            f"{row['duplicates']} actual-cost rows are left out: amortized rows "
            "cover the same billing periods."
        )
    for column, (needed_for, reason) in NEEDED_FOR.items():
        missing, rows = row[f"missing_{column}"], row["rows"]
        if missing == rows:
            notes.append(
                f"{column} is missing on all {rows} rows ({reason}), "
                f"so {needed_for} are not computed."
            )
        elif missing:
            share = _share(row[f"missing_cost_{column}"], row["cost"])
            notes.append(
                f"{column} is missing on {missing} of {rows} rows{share}; "
                f"{needed_for} cover only the rows that have it."
            )
    return notes


def _share(part: Any, whole: Any) -> str:
    if part is None or not whole:
        return ""
    return f" ({float(part) / float(whole):.1%} of the cost)"
