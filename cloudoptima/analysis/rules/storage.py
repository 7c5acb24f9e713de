"""Storage rules: unattached and underused disks, old snapshots, hot data left hot."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.shaping import az, fmt, output, with_cost, with_metric
from cloudoptima.reference import prices

DISK = "microsoft.compute/disks"
SNAPSHOT = "microsoft.compute/snapshots"
STORAGE = "microsoft.storage/storageaccounts"
GIB = 1024**3
MIB = 1024**2
# Azure Site Recovery and backup keep replica disks unattached on purpose
# (Orphaned Resources workbook exclusions, AOE UnattachedDisks).
REPLICA_TAGS = ("asr-replicadisk", "asrseeddisk", "rsvaultbackup", "kubernetes.io-created-for-pvc")
REPLICA_NAMES = ("-asrreplica", "ms-asr-", "asrseeddisk-")


def _is_replica() -> pl.Expr:
    tags = pl.col("tags").fill_null("{}").str.to_lowercase()
    name = pl.col("name").str.to_lowercase()
    by_tag = pl.any_horizontal([tags.str.contains(f'"{t}"', literal=True) for t in REPLICA_TAGS])
    by_name = pl.any_horizontal([name.str.contains(n, literal=True) for n in REPLICA_NAMES])
    return by_tag | by_name


@rule(
    "unattached_disk",
    "Delete an unattached managed disk",
    "Storage",
    impact="medium",
    effort="low",
    risk="medium",
)
def unattached_disk(ctx: RuleContext) -> pl.DataFrame:
    """A disk no VM uses keeps billing its full provisioned size."""
    disks = ctx.resources(DISK).filter(
        (
            (pl.col("disk_state") == "Unattached")
            | (pl.col("managed_by").is_null() & (pl.col("disk_state") != "ActiveSAS"))
        )
        & ~_is_replica()
    )
    disks = with_cost(ctx, disks)
    return output(
        disks,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The {sku} disk ({size} GB) is attached to no VM and cost {cost} in the last 30 days. "
            "Snapshot it if the data matters, then delete it.",
            sku=pl.col("sku_name"),
            size=pl.col("disk_size_gb"),
            cost=pl.col("monthly_cost").round(2),
        ),
        evidence=["disk_state", "sku_name", "disk_size_gb", "time_created"],
        remediation=az("az disk delete --ids {id} --yes"),
    )


@rule(
    "underused_premium_disk",
    "Move an underused Premium SSD to Standard SSD",
    "Storage",
    impact="medium",
    effort="medium",
    risk="low",
)
def underused_premium_disk(ctx: RuleContext) -> pl.DataFrame:
    """Attached Premium SSD whose busiest hour stays under 5 % of its IOPS and throughput limits."""
    limit = ctx.setting("underused_premium_disk.percent")
    disks = ctx.resources(DISK).filter(
        (pl.col("sku_name") == "Premium_LRS") & pl.col("managed_by").is_not_null()
    )
    disks = _disk_peaks(ctx, disks).with_columns(
        (pl.col("max_iops") / pl.col("disk_iops") * 100).alias("max_iops_percent"),
        (pl.col("max_mbps") / pl.col("disk_mbps") * 100).alias("max_mbps_percent"),
        pl.col("disk_size_gb")
        .map_elements(_ssd_ratio, return_dtype=pl.Float64)
        .alias("standard_ssd_price_ratio"),
        pl.col("disk_size_gb").map_elements(_ssd_tier, return_dtype=pl.Utf8).alias("target"),
    )
    disks = disks.filter(
        (pl.col("max_iops_percent") < limit)
        & (pl.col("max_mbps_percent") < limit)
        & pl.col("standard_ssd_price_ratio").is_not_null()
    )
    disks = with_cost(ctx, disks)
    return output(
        disks,
        savings=pl.col("monthly_cost") * (1 - pl.col("standard_ssd_price_ratio")),
        description=fmt(
            "In its busiest hour the disk used {iops}% of its {limit_iops} IOPS and {mbps}% of its {limit_mbps} MB/s. "
            "Standard SSD {target} serves that load at {ratio}% of the price.",
            iops=pl.col("max_iops_percent").round(2),
            limit_iops=pl.col("disk_iops"),
            mbps=pl.col("max_mbps_percent").round(2),
            limit_mbps=pl.col("disk_mbps"),
            target=pl.col("target"),
            ratio=(pl.col("standard_ssd_price_ratio") * 100).round(0),
        ),
        evidence=[
            "disk_tier",
            "disk_iops",
            "disk_mbps",
            "max_iops",
            "max_iops_percent",
            "max_mbps",
            "max_mbps_percent",
            "standard_ssd_price_ratio",
        ],
        target=pl.col("target"),
        remediation=az(
            "az disk update --ids {id} --sku StandardSSD_LRS  # deallocate the VM first"
        ),
    )


def _disk_peaks(ctx: RuleContext, disks: pl.DataFrame) -> pl.DataFrame:
    """Busiest hour of read+write operations and bytes per second."""
    for metric, name in (
        ("Composite Disk Read Operations/sec", "read_iops"),
        ("Composite Disk Write Operations/sec", "write_iops"),
        ("Composite Disk Read Bytes/sec", "read_bps"),
        ("Composite Disk Write Bytes/sec", "write_bps"),
    ):
        disks = with_metric(ctx, disks, metric, "maximum", 1.0, name)
    return disks.with_columns(
        (pl.col("read_iops") + pl.col("write_iops")).alias("max_iops"),
        ((pl.col("read_bps") + pl.col("write_bps")) / MIB).alias("max_mbps"),
    )


def _ssd_ratio(size_gb: float) -> float | None:
    return prices.standard_ssd_ratio(size_gb)


def _ssd_tier(size_gb: float) -> str | None:
    tier = prices.disk_tier("StandardSSD_LRS", size_gb)
    return tier.name if tier else None


@rule(
    "old_snapshot", "Delete an old snapshot", "Storage", impact="low", effort="low", risk="medium"
)
def old_snapshot(ctx: RuleContext) -> pl.DataFrame:
    """Snapshots older than 90 days are rarely restored but billed every month."""
    days = int(ctx.setting("old_snapshot.days"))
    cutoff = datetime.combine(ctx.as_of, datetime.min.time()) - timedelta(days=days)
    snaps = ctx.resources(SNAPSHOT).filter(pl.col("time_created") < cutoff)
    snaps = with_cost(ctx, snaps).with_columns(
        (pl.lit(ctx.as_of) - pl.col("time_created").dt.date()).dt.total_days().alias("age_days")
    )
    return output(
        snaps,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The snapshot is {age} days old (limit {days}) and cost {cost} in the last 30 days.",
            age=pl.col("age_days"),
            days=pl.lit(days),
            cost=pl.col("monthly_cost").round(2),
        ),
        evidence=["time_created", "age_days", "disk_size_gb"],
        remediation=az("az snapshot delete --ids {id}"),
    )


@rule(
    "storage_tiering",
    "Move rarely used hot data to the Cool tier",
    "Storage",
    impact="medium",
    effort="low",
    risk="low",
)
def storage_tiering(ctx: RuleContext) -> pl.DataFrame:
    """Hot accounts holding much data with few transactions pay the hot premium for nothing."""
    accounts = ctx.resources(STORAGE).filter(pl.col("access_tier") == "Hot")
    accounts = with_metric(ctx, accounts, "UsedCapacity", "average", 1.0, "used_capacity_bytes")
    accounts = accounts.join(_daily_transactions(ctx), on="resource_id", how="left").with_columns(
        (pl.col("used_capacity_bytes") / GIB).alias("used_capacity_gb"),
        pl.col("transactions_per_day_max").fill_null(0.0),
    )
    accounts = accounts.filter(
        (pl.col("used_capacity_gb") >= ctx.setting("storage_tiering.min_capacity_gb"))
        & (
            pl.col("transactions_per_day_max")
            < ctx.setting("storage_tiering.max_transactions_per_day")
        )
    ).join(ctx.capacity_cost(), on="resource_id", how="inner")
    ratio = prices.STORAGE_GB_MONTH["Cool"] / prices.STORAGE_GB_MONTH["Hot"]
    accounts = accounts.with_columns(
        (pl.col("capacity_monthly_cost") / pl.col("used_capacity_gb")).alias(
            "capacity_cost_per_gb"
        ),
        (pl.lit(1 - ratio) * pl.col("capacity_monthly_cost") / pl.col("used_capacity_gb")).alias(
            "saving_per_gb"
        ),
    )
    return output(
        accounts,
        savings=pl.col("capacity_monthly_cost") * (1 - ratio),
        description=fmt(
            "{gb} GB sit in the Hot tier with at most {tx} transactions a day. Cool costs {pct}% less per GB: "
            "{per_gb} per GB-month on this account's real capacity cost.",
            gb=pl.col("used_capacity_gb").round(0),
            tx=pl.col("transactions_per_day_max").round(0),
            pct=pl.lit(round((1 - ratio) * 100)),
            per_gb=pl.col("saving_per_gb").round(4),
        ),
        evidence=[
            "access_tier",
            "used_capacity_gb",
            "transactions_per_day_max",
            "capacity_monthly_cost",
            "saving_per_gb",
        ],
        target=pl.lit("Cool"),
        remediation=az("az storage account update --ids {id} --access-tier Cool"),
    )


def _daily_transactions(ctx: RuleContext) -> pl.DataFrame:
    return ctx.reader.sql(
        """SELECT resource_id, max(day_total) AS transactions_per_day_max FROM (
               SELECT resource_id, timestamp::DATE AS day, sum(total) AS day_total FROM metrics
               WHERE metric = 'Transactions' AND timestamp >= ? GROUP BY ALL) GROUP BY resource_id""",
        [ctx.metric_start()],
    )
