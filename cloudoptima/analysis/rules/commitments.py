"""Rate rules: steady VMs that a reservation would make cheaper."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.compute import VM, idle_vm_ids, rightsize_vm
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.shaping import fmt, output, with_cost
from cloudoptima.reference import prices


@rule(
    "reservation_candidate",
    "Buy a reservation for a steady virtual machine",
    "Rate",
    impact="medium",
    effort="low",
    risk="low",
)
def reservation_candidate(ctx: RuleContext) -> pl.DataFrame:
    """VMs that ran 24x7 every day of the window, on demand, with nothing to fix first."""
    steady = _steady_on_demand(ctx)
    exclude = pl.concat(
        [idle_vm_ids(ctx).select("resource_id"), rightsize_vm(ctx).select("resource_id")]
    )
    vms = (
        ctx.resources(VM).filter(pl.col("power_state") == "running").join(steady, on="resource_id")
    )
    vms = vms.filter(~pl.col("resource_id").is_in(exclude.get_column("resource_id").to_list()))
    overrides = dict(ctx.setting("reservation_candidate.discounts"))
    vms = (
        with_cost(ctx, vms)
        .with_columns(
            pl.col("vm_size")
            .map_elements(lambda s: _family(s), return_dtype=pl.Utf8)
            .alias("family"),
        )
        .with_columns(
            pl.col("family")
            .map_elements(lambda f: _discount(f, overrides), return_dtype=pl.Float64)
            .alias("reservation_discount_1y"),
        )
    )
    return output(
        vms,
        savings=pl.col("monthly_cost") * pl.col("reservation_discount_1y"),
        description=fmt(
            "The VM ran {hours} of the last {days} days' hours on demand. A one-year reservation for {size} "
            "costs about {pct}% less.",
            hours=pl.col("running_hours"),
            days=pl.lit(ctx.setting("cost_window_days")),
            size=pl.col("vm_size"),
            pct=(pl.col("reservation_discount_1y") * 100).round(0),
        ),
        evidence=["vm_size", "family", "running_hours", "reservation_discount_1y"],
        target=pl.concat_str(pl.col("vm_size"), pl.lit(" (1-year reservation)")),
        remediation=pl.concat_str(
            pl.lit(
                "az reservations reservation-order calculate --reserved-resource-type VirtualMachines "
                "--billing-scope /subscriptions/"
            ),
            pl.col("subscription_id"),
            pl.lit(" --term P1Y --quantity 1 --applied-scope-type Shared --sku "),
            pl.col("vm_size"),
            pl.lit(" --location "),
            pl.col("location"),
            pl.lit(" --display-name "),
            pl.col("name"),
        ),
        confidence=pl.when(pl.col("family").is_null())
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high")),
    )


def _steady_on_demand(ctx: RuleContext) -> pl.DataFrame:
    """VMs with at least the minimum hours every day of the window and no committed usage."""
    days = int(ctx.setting("cost_window_days"))
    start = datetime.combine(ctx.cost_start, datetime.min.time())
    end = datetime.combine(ctx.as_of + timedelta(days=1), datetime.min.time())
    return ctx.reader.sql(
        """SELECT resource_id, sum(hours)::DOUBLE AS running_hours FROM (
               SELECT ResourceId AS resource_id, ChargePeriodStart::DATE AS day,
                      sum(ConsumedQuantity) FILTER (WHERE ConsumedUnit ILIKE '%hour%') AS hours,
                      bool_or(PricingCategory = 'Committed') AS committed
               FROM costs WHERE ResourceId LIKE '%/providers/microsoft.compute/virtualmachines/%'
                 AND ChargePeriodStart >= ? AND ChargePeriodStart < ? GROUP BY ALL)
           GROUP BY resource_id
           HAVING count(*) FILTER (WHERE hours >= ?) = ? AND NOT bool_or(coalesce(committed, false))""",
        [start, end, ctx.setting("reservation_candidate.min_hours_per_day"), days],
    )


def _family(size: str | None) -> str | None:
    known = prices.VM_SIZES.get(size or "")
    return known.family if known else None


def _discount(family: str | None, overrides: dict[str, float]) -> float:
    if family in overrides:
        return float(overrides[family])
    return prices.RESERVATION_DISCOUNT_1Y.get(family or "", prices.DEFAULT_RESERVATION_DISCOUNT_1Y)
