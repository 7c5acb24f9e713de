"""Rate rules: steady VMs that a reservation (or a savings plan) would make cheaper.

Recommendations are grouped as Azure Advisor groups them: one per VM size, region and
term, with a quantity, whose resources are listed in the evidence. The discount
applies to the compute part of on-demand cost only: spot VMs are left out, and so is
licence cost (separate licence meters, and the Windows share of Windows VM prices),
because reservations and savings plans never discount it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.compute import idle_vm_ids, oversized_vm_ids
from cloudoptima.analysis.rules.context import MONTH_DAYS, RuleContext
from cloudoptima.analysis.rules.ownership import prop
from cloudoptima.analysis.rules.shaping import fmt, money, output, percent, with_cost
from cloudoptima.analysis.rules.utilisation import VM
from cloudoptima.reference import prices

GROUP = ["currency", "vm_size", "location"]
SPOT_PRIORITIES = ("spot", "low")


def reservation_group_id(location: str, vm_size: str, years: int, currency: str) -> str:
    """The id a reservation recommendation stands under: stable per size, region, term, currency."""
    return (
        "/providers/microsoft.capacity/reservationrecommendations/virtualmachines/"
        f"{location}/{vm_size}/p{years}y/{currency}"
    ).lower()


@rule(
    "reservation_candidate",
    "Buy a reservation for steady virtual machines",
    "Rate",
    impact="medium",
    effort="low",
    risk="low",
)
def reservation_candidate(ctx: RuleContext) -> pl.DataFrame:
    """VMs of one size and region that ran on demand every hour of the window, with nothing
    to fix first (not idle, not oversized), as one recommendation with a quantity."""
    years = int(ctx.setting("reservation_candidate.term_years"))
    vms = _candidates(ctx)
    groups = _groups(vms, years, dict(ctx.setting("reservation_candidate.discounts")))
    return output(
        groups,
        savings=pl.col("base_monthly_cost") * pl.col("reservation_discount"),
        description=_description(ctx, years),
        evidence=[
            "vm_size",
            "location",
            "term",
            "quantity",
            "vm_ids",
            "subscription_ids",
            "family",
            "running_hours",
            "base_monthly_cost",
            "licence_monthly_cost_excluded",
            "reservation_discount",
            "savings_plan_discount",
            "savings_plan_monthly_savings",
            "savings_plan_hourly_commitment",
        ],
        target=pl.concat_str(
            pl.col("vm_size"),
            pl.lit(" x "),
            pl.col("quantity"),
            pl.lit(f" ({years}-year reservation)"),
        ),
        remediation=pl.concat_str(
            pl.lit(
                "az reservations reservation-order calculate --reserved-resource-type VirtualMachines "
                "--billing-scope /subscriptions/"
            ),
            pl.col("subscription_ids").list.first(),
            pl.lit(f" --term P{years}Y --quantity "),
            pl.col("quantity"),
            pl.lit(" --applied-scope-type Shared --sku "),
            pl.col("vm_size"),
            pl.lit(" --location "),
            pl.col("location"),
            pl.lit(" --display-name RI-"),
            pl.col("vm_size"),
            pl.lit("-"),
            pl.col("location"),
        ),
        confidence=pl.when(pl.col("family").is_null() | pl.col("licence_share_estimated"))
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high")),
    )


def _candidates(ctx: RuleContext) -> pl.DataFrame:
    """Running, non-spot VMs steady on demand every day, minus idle and oversized ones."""
    exclude = pl.concat([idle_vm_ids(ctx), oversized_vm_ids(ctx)]).get_column("resource_id")
    priority = prop("$.priority").str.to_lowercase().fill_null("regular")
    vms = ctx.resources(VM).filter(
        (pl.col("power_state") == "running")
        & ~priority.is_in(list(SPOT_PRIORITIES))
        & ~pl.col("resource_id").is_in(exclude.implode())
    )
    vms = with_cost(ctx, vms)
    steady = _steady_on_demand(ctx)
    vms = vms.join(steady, on=["resource_id", "currency"], how="inner")
    share = pl.col("vm_size").replace_strict(
        {size: prices.compute_share_of_windows_price(size) for size in prices.VM_SIZES},
        default=None,
        return_dtype=pl.Float64,
    )
    scale = MONTH_DAYS / ctx.window_days
    return vms.with_columns(
        (
            (pl.col("plain_compute_cost") + pl.col("windows_cost") * share.fill_null(1.0)) * scale
        ).alias("base_monthly_cost"),
        ((pl.col("windows_cost") > 0) & share.is_null()).alias("licence_share_estimated"),
        pl.col("vm_size")
        .replace_strict(
            {size: spec.family for size, spec in prices.VM_SIZES.items()},
            default=None,
            return_dtype=pl.Utf8,
        )
        .alias("family"),
    ).with_columns(
        (pl.col("monthly_cost") - pl.col("base_monthly_cost"))
        .clip(lower_bound=0.0)
        .alias("licence_monthly_cost_excluded")
    )


def _groups(vms: pl.DataFrame, years: int, overrides: dict[str, float]) -> pl.DataFrame:
    """One row per size, region and currency: the quantity, its VMs and both discounts."""
    grouped = vms.group_by(GROUP).agg(
        pl.len().alias("quantity"),
        pl.col("resource_id").sort().alias("vm_ids"),
        pl.col("subscription_id").unique().sort().alias("subscription_ids"),
        pl.col("family").first(),
        pl.col("running_hours").sum(),
        pl.col("base_monthly_cost").sum(),
        pl.col("licence_monthly_cost_excluded").sum(),
        pl.col("monthly_cost").sum(),
        pl.col("cost_days").max(),
        pl.col("cost_basis").first(),
        pl.col("licence_share_estimated").any(),
    )
    rates = [prices.commitment_discounts(f, years) for f in grouped.get_column("family").to_list()]
    reserved = [
        float(overrides[f]) if f in overrides else rate[0]
        for f, rate in zip(grouped.get_column("family").to_list(), rates, strict=True)
    ]
    ids = [
        reservation_group_id(location, size, years, currency)
        for currency, size, location in grouped.select(GROUP).iter_rows()
    ]
    hours = MONTH_DAYS * 24
    return grouped.with_columns(
        pl.Series("resource_id", ids, dtype=pl.Utf8),
        pl.Series("reservation_discount", reserved, dtype=pl.Float64),
        pl.Series("savings_plan_discount", [r[1] for r in rates], dtype=pl.Float64),
        pl.lit(f"P{years}Y").alias("term"),
    ).with_columns(
        (pl.col("base_monthly_cost") * pl.col("savings_plan_discount")).alias(
            "savings_plan_monthly_savings"
        ),
        (pl.col("base_monthly_cost") / hours * (1 - pl.col("savings_plan_discount"))).alias(
            "savings_plan_hourly_commitment"
        ),
        pl.concat_str(
            pl.col("vm_size"),
            pl.lit(" x "),
            pl.col("quantity"),
            pl.lit(" in "),
            pl.col("location"),
            pl.lit(f" ({years}-year)"),
        ).alias("resource_name"),
        pl.lit("microsoft.capacity/reservationrecommendations").alias("resource_type"),
        pl.when(pl.col("subscription_ids").list.len() == 1)
        .then(pl.col("subscription_ids").list.first())
        .alias("subscription_id"),
    )


def _description(ctx: RuleContext, years: int) -> pl.Expr:
    return fmt(
        "{n} x {size} in {location} ran on demand every hour of the last {days} days, {base} a month of "
        "compute{licence}. A {years}-year reservation of quantity {n} costs about {pct}% less: {savings} a "
        "month. The alternative, a {years}-year compute savings plan committing {commit} an hour, saves "
        "about {sp_pct}% ({sp} a month) and follows the usage across sizes and regions.",
        n=pl.col("quantity"),
        size=pl.col("vm_size"),
        location=pl.col("location"),
        days=pl.lit(ctx.window_days),
        base=money("base_monthly_cost"),
        licence=pl.when(pl.col("licence_monthly_cost_excluded") > 0.005)
        .then(
            pl.concat_str(
                pl.lit(" (licence cost of "),
                money("licence_monthly_cost_excluded"),
                pl.lit(" a month left out: no commitment discounts it)"),
            )
        )
        .otherwise(pl.lit("")),
        years=pl.lit(years),
        pct=percent("reservation_discount"),
        savings=money(pl.col("base_monthly_cost") * pl.col("reservation_discount")),
        commit=money("savings_plan_hourly_commitment", 3),
        sp_pct=percent("savings_plan_discount"),
        sp=money("savings_plan_monthly_savings"),
    )


def _steady_on_demand(ctx: RuleContext) -> pl.DataFrame:
    """Per VM and currency: on-demand compute hours every day of the window, and its cost.

    Only compute meters count (no licence meter, no spot meter); a VM with any committed
    or spot usage in the window is left out. Where both actual and amortized rows are
    stored, each day counts one of them (billed rows first), never both.
    """
    start = datetime.combine(ctx.cost_start, datetime.min.time())
    end = datetime.combine(ctx.as_of + timedelta(days=1), datetime.min.time())
    return ctx.reader.sql(
        _STEADY_SQL,
        [start, end, ctx.setting("reservation_candidate.min_hours_per_day"), ctx.window_days],
    )


_STEADY_SQL = """
WITH rows AS (
    SELECT ResourceId AS resource_id, BillingCurrency AS currency, ChargePeriodStart::DATE AS day,
           ConsumedQuantity AS quantity, BilledCost IS NOT NULL AS billed_row,
           coalesce(BilledCost, EffectiveCost) AS cost,
           coalesce(PricingCategory = 'Committed' OR CommitmentDiscountId IS NOT NULL, false) AS committed,
           coalesce(SkuMeter ILIKE '%spot%' OR SkuMeter ILIKE '%low priority%', false) AS spot,
           coalesce(x_SkuMeterCategory ILIKE '%licen%', false) AS licence,
           coalesce(x_SkuMeterSubcategory ILIKE '%windows%', false) AS windows,
           coalesce(ConsumedUnit ILIKE '%hour%', false) AS hourly
    FROM costs WHERE ResourceId LIKE '%/providers/microsoft.compute/virtualmachines/%'
      AND ChargePeriodStart >= ? AND ChargePeriodStart < ?),
days AS (
    SELECT resource_id, currency, day, bool_or(billed_row) AS has_billed,
           bool_or(committed) AS committed, bool_or(spot) AS spot,
           sum(quantity) FILTER (WHERE hourly AND NOT licence AND NOT spot AND billed_row) AS billed_hours,
           sum(quantity) FILTER (WHERE hourly AND NOT licence AND NOT spot AND NOT billed_row) AS other_hours,
           sum(cost) FILTER (WHERE NOT licence AND NOT spot AND NOT windows AND billed_row) AS billed_plain,
           sum(cost) FILTER (WHERE NOT licence AND NOT spot AND NOT windows AND NOT billed_row) AS other_plain,
           sum(cost) FILTER (WHERE NOT licence AND NOT spot AND windows AND billed_row) AS billed_windows,
           sum(cost) FILTER (WHERE NOT licence AND NOT spot AND windows AND NOT billed_row) AS other_windows
    FROM rows GROUP BY ALL),
chosen AS (
    SELECT resource_id, currency, committed, spot,
           CASE WHEN has_billed THEN billed_hours ELSE other_hours END AS hours,
           CASE WHEN has_billed THEN billed_plain ELSE other_plain END AS plain,
           CASE WHEN has_billed THEN billed_windows ELSE other_windows END AS windows
    FROM days)
SELECT resource_id, currency, sum(hours)::DOUBLE AS running_hours,
       coalesce(sum(plain), 0)::DOUBLE AS plain_compute_cost,
       coalesce(sum(windows), 0)::DOUBLE AS windows_cost
FROM chosen GROUP BY resource_id, currency
HAVING count(*) FILTER (WHERE hours >= ?) = ? AND NOT bool_or(committed) AND NOT bool_or(spot)"""
