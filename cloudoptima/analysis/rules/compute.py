"""Virtual machine rules: idle, oversized, stopped but billed, long deallocated."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from cloudoptima.analysis.rules import empty_output, rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.shaping import az, fmt, money, output, percent, with_cost
from cloudoptima.analysis.rules.utilisation import (
    MB,
    VM,
    coverage_confidence,
    looks_idle,
    smaller_sizes,
    vm_facts,
)

DISK = "microsoft.compute/disks"


def idle_vm_ids(ctx: RuleContext) -> pl.DataFrame:
    """Running VMs that look idle on enough metrics, platform-managed ones included."""
    return vm_facts(ctx).filter(looks_idle(ctx)).select("resource_id")


def oversized_vm_ids(ctx: RuleContext) -> pl.DataFrame:
    """Running VMs a smaller size would carry, platform-managed ones included."""
    return _rightsizable(ctx).select("resource_id")


@rule(
    "idle_vm",
    "Shut down or delete an idle virtual machine",
    "Compute",
    impact="high",
    effort="low",
    risk="medium",
)
def idle_vm(ctx: RuleContext) -> pl.DataFrame:
    """P95 of hourly max CPU under 3 % and little outbound traffic, on enough metrics.

    VMs a platform runs (AKS, Databricks, scale sets) are left to that platform.
    """
    vms = vm_facts(ctx).filter(looks_idle(ctx) & pl.col("platform").is_null())
    vms = with_cost(ctx, vms)
    return output(
        vms,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "Over {days} days of metrics ({coverage}% of hours) the P95 of hourly maximum CPU was {cpu}% "
            "and the busiest hour sent {net} MB: the VM does no useful work. Deallocating or deleting it "
            "stops its compute cost.",
            days=pl.col("metric_days"),
            coverage=pl.col("metric_coverage_percent"),
            cpu=pl.col("cpu_max_p95_percent").round(2),
            net=(pl.col("network_out_max_bytes_per_hour") / MB).round(2),
        ),
        evidence=[
            "vm_size",
            "power_state",
            "cpu_max_p95_percent",
            "network_out_max_bytes_per_hour",
            "metric_days",
            "metric_coverage_percent",
        ],
        remediation=az("az vm deallocate --ids {id}"),
        confidence=coverage_confidence(),
    )


def _rightsizable(ctx: RuleContext) -> pl.DataFrame:
    facts = vm_facts(ctx).filter(
        pl.col("metrics_cover_window") & pl.col("cpu_max_p95_percent").is_not_null()
    )
    return smaller_sizes(ctx, facts.filter(~looks_idle(ctx)))


@rule(
    "rightsize_vm",
    "Resize an oversized virtual machine",
    "Compute",
    impact="high",
    effort="medium",
    risk="medium",
)
def rightsize_vm(ctx: RuleContext) -> pl.DataFrame:
    """A cheaper size of the same family fits P95 CPU and memory with headroom."""
    vms = with_cost(ctx, _rightsizable(ctx).filter(pl.col("platform").is_null()))
    return output(
        vms,
        savings=pl.col("monthly_cost") * (1 - pl.col("price_ratio")),
        description=fmt(
            "Over {days} days of metrics ({coverage}% of hours) P95 of hourly maximum CPU was {cpu}% and P95 "
            "memory use {mem}% on {size}; {target} fits that load within the headroom limits at {ratio}% "
            "of the price.",
            days=pl.col("metric_days"),
            coverage=pl.col("metric_coverage_percent"),
            cpu=pl.col("cpu_max_p95_percent").round(1),
            mem=pl.col("memory_used_p95_percent").round(1),
            size=pl.col("vm_size"),
            target=pl.col("target"),
            ratio=percent("price_ratio"),
        ),
        evidence=[
            "vm_size",
            "cpu_max_p95_percent",
            "memory_used_p95_percent",
            "price_ratio",
            "metric_days",
            "metric_coverage_percent",
        ],
        target=pl.col("target"),
        remediation=pl.concat_str(az("az vm resize --ids {id} --size "), pl.col("target")),
        confidence=pl.when(pl.col("memory_used_p95_percent").is_null())
        .then(pl.lit("medium"))
        .otherwise(coverage_confidence()),
    )


@rule(
    "stopped_vm_not_deallocated",
    "Deallocate a stopped virtual machine",
    "Compute",
    impact="high",
    effort="low",
    risk="low",
)
def stopped_vm_not_deallocated(ctx: RuleContext) -> pl.DataFrame:
    """Stopped from inside the OS, the VM still bills compute until deallocated."""
    vms = with_cost(ctx, ctx.resources(VM).filter(pl.col("power_state") == "stopped"))
    return output(
        vms,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The VM is stopped but not deallocated, so Azure still bills its compute: {cost} a month. "
            "Deallocate it (or delete it if it is no longer needed).",
            cost=money("monthly_cost"),
        ),
        evidence=["vm_size", "power_state", "monthly_cost"],
        remediation=az("az vm deallocate --ids {id}"),
    )


@rule(
    "long_deallocated_vm",
    "Delete a long-deallocated virtual machine and its disks",
    "Compute",
    impact="medium",
    effort="low",
    risk="medium",
)
def long_deallocated_vm(ctx: RuleContext) -> pl.DataFrame:
    """Deallocated with no compute cost for 30+ days while its disks are still billed.

    A VM with no compute cost in all the data, when the data reaches back fewer days
    than the threshold, may have been deallocated yesterday: that finding says it
    can't tell yet, saves nothing and points at the activity log, which knows.
    """
    days = int(ctx.setting("long_deallocated_vm.days"))
    first = ctx.first_cost_day()
    history_days = (ctx.as_of - first).days + 1 if first else 0
    vms = (
        ctx.resources(VM)
        .filter(pl.col("power_state") == "deallocated")
        .join(ctx.last_charged_days(), on="resource_id", how="left")
        .filter(
            pl.col("last_charged_day").is_null()
            | (pl.col("last_charged_day") <= ctx.as_of - timedelta(days=days))
        )
        .filter(
            pl.col("time_created").is_null()
            | (pl.col("time_created").dt.date() <= ctx.as_of - timedelta(days=days))
        )
    )
    vms = vms.join(_disks_by_owner(ctx), on="resource_id", how="inner").filter(
        pl.col("monthly_cost") > 0
    )
    unknown = pl.col("last_charged_day").is_null() & pl.lit(history_days < days)
    vms = vms.with_columns(
        pl.coalesce(
            (pl.lit(ctx.as_of) - pl.col("last_charged_day")).dt.total_days(),
            pl.lit(history_days),
        ).alias("days_without_compute_cost"),
        unknown.alias("too_little_history"),
    )
    return output(
        vms,
        savings=pl.when(unknown).then(0.0).otherwise(pl.col("monthly_cost")),
        description=pl.when(unknown)
        .then(
            fmt(
                "Can't tell yet: the VM had no compute cost in the {n} days the cost data covers, fewer "
                "than the {limit} this rule needs. Its {count} disk(s) cost {cost} a month; the activity "
                "log shows when it was deallocated.",
                n=pl.col("days_without_compute_cost"),
                limit=pl.lit(days),
                count=pl.col("disk_ids").list.len(),
                cost=money("monthly_cost"),
            )
        )
        .otherwise(
            fmt(
                "The VM has had no compute cost for {n} days (since {last}) but its {count} disk(s) still "
                "cost {cost} a month. Snapshot what must be kept and delete the VM and its disks.",
                n=pl.col("days_without_compute_cost"),
                last=pl.col("last_charged_day").cast(pl.Utf8).fill_null("before the cost data"),
                count=pl.col("disk_ids").list.len(),
                cost=money("monthly_cost"),
            )
        ),
        evidence=[
            "power_state",
            "last_charged_day",
            "days_without_compute_cost",
            "too_little_history",
            "disk_ids",
            "disks_monthly_cost",
        ],
        remediation=pl.when(unknown)
        .then(
            az(
                "az monitor activity-log list --resource-id {id} --offset 90d "
                "--query \"[?operationName.value=='Microsoft.Compute/virtualMachines/deallocate/action']"
                '.eventTimestamp"'
            )
        )
        .otherwise(az("az vm delete --ids {id} --yes")),
        confidence=pl.when(unknown).then(pl.lit("low")).otherwise(pl.lit("high")),
    )


def _disks_by_owner(ctx: RuleContext) -> pl.DataFrame:
    """Per owning VM: its disks' cost, in the currency most of that cost is in."""
    disks = with_cost(ctx, ctx.resources(DISK).filter(pl.col("managed_by").is_not_null()))
    by_currency = disks.group_by(
        pl.col("managed_by").str.to_lowercase().alias("owner"), "currency"
    ).agg(
        pl.col("resource_id").sort().alias("disk_ids"),
        pl.col("monthly_cost").sum().alias("monthly_cost"),
        pl.col("cost_days").max().alias("cost_days"),
        pl.col("cost_basis").max().alias("cost_basis"),
    )
    return (
        by_currency.sort(["owner", "monthly_cost", "currency"], descending=[False, True, False])
        .unique("owner", keep="first")
        .rename({"owner": "resource_id"})
        .with_columns(pl.col("monthly_cost").alias("disks_monthly_cost"))
    )


__all__ = ["empty_output"]
