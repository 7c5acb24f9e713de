"""What running VMs do: CPU, memory and network over the metric window, and how well
the metrics cover it. ``idle_vm``, ``rightsize_vm`` and ``reservation_candidate`` judge
from these facts; each rule decides what to do with platform-managed VMs.
"""

from __future__ import annotations

import polars as pl

from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.ownership import platform_manager
from cloudoptima.analysis.rules.shaping import with_metric
from cloudoptima.reference import prices

VM = "microsoft.compute/virtualmachines"
MB = 1_000_000
GIB = 1024**3
CPU = "Percentage CPU"
NETWORK_OUT = "Network Out Total"
# Guest memory as the platform reports it: the newer percentage, or bytes available.
MEMORY_PERCENT = "Available Memory Percentage"
MEMORY_BYTES = "Available Memory Bytes"
# Coverage at or above this share of hours makes a verdict "high" confidence.
FULL_COVERAGE = 0.95

SIZES = pl.DataFrame(
    [
        (name, size.family, size.vcpus, size.memory_gb, size.hourly)
        for name, size in prices.VM_SIZES.items()
    ],
    schema={
        "target": pl.Utf8,
        "family": pl.Utf8,
        "target_vcpus": pl.Int64,
        "target_memory_gb": pl.Float64,
        "target_hourly": pl.Float64,
    },
    orient="row",
)


def vm_facts(ctx: RuleContext) -> pl.DataFrame:
    """Running VMs with their utilisation, metric coverage and platform (once per run)."""
    return ctx.cached("vm_facts", lambda: _vm_facts(ctx))  # type: ignore[no-any-return]


def _vm_facts(ctx: RuleContext) -> pl.DataFrame:
    vms = ctx.resources(VM).filter(pl.col("power_state") == "running")
    vms = vms.with_columns(platform_manager().alias("platform"))
    vms = with_metric(ctx, vms, CPU, "maximum", 0.95, "cpu_max_p95_percent", how="left")
    vms = with_metric(
        ctx, vms, NETWORK_OUT, "total", 1.0, "network_out_max_bytes_per_hour", how="left"
    )
    vms = vms.join(ctx.metric_coverage(CPU), on="resource_id", how="left")
    vms = _with_memory(ctx, vms)
    covered = (
        pl.col("metric_days").fill_null(0) >= int(ctx.setting("idle_vm.min_metric_days"))
    ) & (
        pl.col("metric_coverage").fill_null(0.0)
        >= float(ctx.setting("idle_vm.min_metric_coverage"))
    )
    return vms.with_columns(
        covered.alias("metrics_cover_window"),
        (pl.col("metric_coverage") * 100).round(1).alias("metric_coverage_percent"),
    )


def _with_memory(ctx: RuleContext, vms: pl.DataFrame) -> pl.DataFrame:
    """P95 of memory in use, from the percentage metric, else from bytes and the size's memory."""
    vms = with_metric(ctx, vms, MEMORY_PERCENT, "average", 0.05, "memory_available_p5", how="left")
    if vms.get_column("memory_available_p5").is_null().any():
        vms = with_metric(ctx, vms, MEMORY_BYTES, "average", 0.05, "memory_bytes_p5", how="left")
    else:  # every VM reports the percentage: no need to read the bytes metric
        vms = vms.with_columns(pl.lit(None, dtype=pl.Float64).alias("memory_bytes_p5"))
    memory_gb = pl.col("vm_size").replace_strict(
        {name: float(size.memory_gb) for name, size in prices.VM_SIZES.items()},
        default=None,
        return_dtype=pl.Float64,
    )
    from_bytes = 100.0 - pl.col("memory_bytes_p5") / (memory_gb * GIB) * 100.0
    used = pl.coalesce(100.0 - pl.col("memory_available_p5"), from_bytes)
    return vms.with_columns(used.clip(0.0, 100.0).alias("memory_used_p95_percent")).drop(
        "memory_available_p5", "memory_bytes_p5"
    )


def looks_idle(ctx: RuleContext) -> pl.Expr:
    """Advisor's shutdown signal on enough metrics: P95 CPU and the busiest hour's traffic low.

    A VM without its network metric never looks idle: low CPU alone does not show that
    nobody uses it.
    """
    cpu_limit = float(ctx.setting("idle_vm.cpu_p95_percent"))
    network_limit = float(ctx.setting("idle_vm.network_out_mb_per_hour")) * MB
    return (
        pl.col("metrics_cover_window")
        & pl.col("network_out_max_bytes_per_hour").is_not_null()
        & (pl.col("cpu_max_p95_percent") < cpu_limit)
        & (pl.col("network_out_max_bytes_per_hour") < network_limit)
    )


def coverage_confidence() -> pl.Expr:
    """``high`` when the metrics cover (almost) every hour, else ``medium``."""
    return (
        pl.when(pl.col("metric_coverage") >= FULL_COVERAGE)
        .then(pl.lit("high"))
        .otherwise(pl.lit("medium"))
    )


def smaller_sizes(ctx: RuleContext, vms: pl.DataFrame) -> pl.DataFrame:
    """Per VM, the cheapest size of its family that keeps CPU and memory under the limits.

    A size with less memory needs the memory metric: without it, nothing says the
    workload would fit. Columns added: ``target`` and ``price_ratio`` (target price /
    current price; regional factors cancel out inside one region).
    """
    cpu_limit = float(ctx.setting("rightsize_vm.target_cpu_p95_percent"))
    memory_limit = float(ctx.setting("rightsize_vm.target_memory_p95_percent"))
    current = SIZES.rename(
        {
            "target": "vm_size",
            "target_vcpus": "vcpus",
            "target_memory_gb": "memory_gb",
            "target_hourly": "hourly",
        }
    )
    pairs = vms.join(current, on="vm_size", how="inner").join(SIZES, on="family", how="inner")
    memory_fits = (pl.col("target_memory_gb") >= pl.col("memory_gb")) | (
        pl.col("memory_used_p95_percent") * pl.col("memory_gb") / pl.col("target_memory_gb")
        <= memory_limit
    ).fill_null(False)
    fitting = pairs.filter(
        (pl.col("target_hourly") < pl.col("hourly"))
        & (pl.col("cpu_max_p95_percent") * pl.col("vcpus") / pl.col("target_vcpus") <= cpu_limit)
        & memory_fits
    )
    best = (
        fitting.sort(["resource_id", "target_hourly", "target"])
        .unique("resource_id", keep="first")
        .select(
            "resource_id",
            "target",
            (pl.col("target_hourly") / pl.col("hourly")).alias("price_ratio"),
        )
    )
    return vms.join(best, on="resource_id", how="inner")
