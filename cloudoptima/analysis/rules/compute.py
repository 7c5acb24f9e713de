"""Virtual machine rules: idle, oversized, stopped but billed, long deallocated."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from cloudoptima.analysis.rules import empty_output, rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.shaping import az, fmt, output, with_cost, with_metric
from cloudoptima.reference import prices

VM = "microsoft.compute/virtualmachines"
DISK = "microsoft.compute/disks"
MB = 1_000_000


def running_vms(ctx: RuleContext) -> pl.DataFrame:
    """VMs whose snapshot power state is running."""
    return ctx.resources(VM).filter(pl.col("power_state") == "running")


def idle_vm_ids(ctx: RuleContext) -> pl.DataFrame:
    """Running VMs with almost no CPU and network (Advisor's shutdown signal)."""
    vms = with_metric(
        ctx, running_vms(ctx), "Percentage CPU", "maximum", 0.95, "cpu_max_p95_percent"
    )
    vms = with_metric(
        ctx, vms, "Network Out Total", "total", 1.0, "network_out_max_bytes_per_hour", how="left"
    )
    return vms.filter(
        (pl.col("cpu_max_p95_percent") < ctx.setting("idle_vm.cpu_p95_percent"))
        & (
            pl.col("network_out_max_bytes_per_hour").fill_null(0)
            < ctx.setting("idle_vm.network_out_mb_per_hour") * MB
        )
    )


@rule(
    "idle_vm",
    "Shut down or delete an idle virtual machine",
    "Compute",
    impact="high",
    effort="low",
    risk="medium",
)
def idle_vm(ctx: RuleContext) -> pl.DataFrame:
    """P95 of hourly max CPU under 3 % and little outbound traffic over the metric window."""
    vms = with_cost(ctx, idle_vm_ids(ctx))
    days = ctx.setting("metric_window_days")
    return output(
        vms,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "Over the last {days} days the P95 of hourly maximum CPU was {cpu}% and the busiest hour sent "
            "{net} MB: the VM does no useful work. Deallocating or deleting it stops its compute cost.",
            days=pl.lit(days),
            cpu=pl.col("cpu_max_p95_percent").round(2),
            net=(pl.col("network_out_max_bytes_per_hour") / MB).round(2),
        ),
        evidence=[
            "vm_size",
            "power_state",
            "cpu_max_p95_percent",
            "network_out_max_bytes_per_hour",
        ],
        remediation=az("az vm deallocate --ids {id}"),
    )


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
    idle = idle_vm_ids(ctx).get_column("resource_id")
    vms = running_vms(ctx).filter(~pl.col("resource_id").is_in(idle.to_list()))
    vms = with_metric(ctx, vms, "Percentage CPU", "maximum", 0.95, "cpu_max_p95_percent")
    vms = with_metric(
        ctx, vms, "Available Memory Percentage", "average", 0.05, "memory_available_p5", how="left"
    )
    vms = vms.with_columns((100.0 - pl.col("memory_available_p5")).alias("memory_used_p95_percent"))
    targets = [_smaller_size(ctx, row) for row in vms.iter_rows(named=True)]
    vms = vms.with_columns(
        pl.Series("target", [t[0] for t in targets], dtype=pl.Utf8),
        pl.Series("price_ratio", [t[1] for t in targets], dtype=pl.Float64),
    ).filter(pl.col("target").is_not_null())
    vms = with_cost(ctx, vms)
    return output(
        vms,
        savings=pl.col("monthly_cost") * (1 - pl.col("price_ratio")),
        description=fmt(
            "P95 of hourly maximum CPU was {cpu}% and P95 memory use {mem}% on {size}; {target} fits that load "
            "within the headroom limits at {ratio}% of the price.",
            cpu=pl.col("cpu_max_p95_percent").round(1),
            mem=pl.col("memory_used_p95_percent").round(1),
            size=pl.col("vm_size"),
            target=pl.col("target"),
            ratio=(pl.col("price_ratio") * 100).round(0),
        ),
        evidence=["vm_size", "cpu_max_p95_percent", "memory_used_p95_percent", "price_ratio"],
        target=pl.col("target"),
        remediation=pl.concat_str(az("az vm resize --ids {id} --size "), pl.col("target")),
        confidence=pl.when(pl.col("memory_used_p95_percent").is_null())
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high")),
    )


def _smaller_size(ctx: RuleContext, vm: dict[str, object]) -> tuple[str | None, float | None]:
    """The cheapest same-family size that keeps CPU and memory under the target limits."""
    current = prices.VM_SIZES.get(str(vm["vm_size"]))
    if current is None:
        return None, None
    cpu, mem = float(vm["cpu_max_p95_percent"]), vm["memory_used_p95_percent"]  # type: ignore[arg-type]
    fits = [
        (size.hourly, name)
        for name, size in prices.VM_SIZES.items()
        if size.family == current.family
        and size.hourly < current.hourly
        and cpu * current.vcpus / size.vcpus <= ctx.setting("rightsize_vm.target_cpu_p95_percent")
        and (
            mem is None
            or float(mem) * current.memory_gb / size.memory_gb  # type: ignore[arg-type]
            <= ctx.setting("rightsize_vm.target_memory_p95_percent")
        )
    ]
    if not fits:
        return None, None
    price, name = min(fits)
    # the regional factor cancels out inside one region; the ratio is what matters
    return name, price / current.hourly


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
            "The VM is stopped but not deallocated, so Azure still bills its compute: {cost} in the last "
            "{days} days. Deallocate it (or delete it if it is no longer needed).",
            cost=pl.col("monthly_cost").round(2),
            days=pl.lit(ctx.setting("cost_window_days")),
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
    """Deallocated with no compute cost for 30+ days while its disks are still billed."""
    days = int(ctx.setting("long_deallocated_vm.days"))
    last = ctx.last_charged_days()
    vms = (
        ctx.resources(VM)
        .filter(pl.col("power_state") == "deallocated")
        .join(last, on="resource_id", how="left")
    )
    vms = vms.filter(
        pl.col("last_charged_day").is_null()
        | (pl.col("last_charged_day") <= ctx.as_of - timedelta(days=days))
    )
    disks = _disks_by_owner(ctx)
    vms = vms.join(disks, on="resource_id", how="inner").filter(pl.col("disks_monthly_cost") > 0)
    vms = vms.with_columns(
        (pl.lit(ctx.as_of) - pl.col("last_charged_day"))
        .dt.total_days()
        .alias("days_without_compute_cost")
    )
    return output(
        vms,
        savings=pl.col("disks_monthly_cost"),
        description=fmt(
            "The VM has had no compute cost since {last} ({n} days) but its {count} disk(s) still cost "
            "{cost} over the last 30 days. Snapshot what must be kept and delete the VM and its disks.",
            last=pl.col("last_charged_day"),
            n=pl.col("days_without_compute_cost"),
            count=pl.col("disk_ids").list.len(),
            cost=pl.col("disks_monthly_cost").round(2),
        ),
        evidence=[
            "power_state",
            "last_charged_day",
            "days_without_compute_cost",
            "disk_ids",
            "disks_monthly_cost",
        ],
        remediation=az("az vm delete --ids {id} --yes"),
    )


def _disks_by_owner(ctx: RuleContext) -> pl.DataFrame:
    disks = with_cost(ctx, ctx.resources(DISK).filter(pl.col("managed_by").is_not_null()))
    return disks.group_by(pl.col("managed_by").str.to_lowercase().alias("resource_id")).agg(
        pl.col("resource_id").sort().alias("disk_ids"),
        pl.col("monthly_cost").sum().alias("disks_monthly_cost"),
    )


__all__ = ["empty_output"]
