"""Storage rules: unattached and underused disks, old snapshots, hot data left hot."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.context import MONTH_DAYS, RuleContext
from cloudoptima.analysis.rules.ownership import has_tag_key, prop, referenced_ids
from cloudoptima.analysis.rules.shaping import (
    az,
    fmt,
    money,
    output,
    percent,
    with_cost,
    with_metric,
)
from cloudoptima.reference import prices

DISK = "microsoft.compute/disks"
SNAPSHOT = "microsoft.compute/snapshots"
STORAGE = "microsoft.storage/storageaccounts"
GIB = 1024**3
MIB = 1024**2
# Disks kept unattached on purpose: Azure Site Recovery replicas and seeds, Azure Backup,
# and Kubernetes persistent volumes, whose AKS CSI driver tags them with
# kubernetes.io-created-for-pvc-name / -pvc-namespace / -pv-name (Orphaned Resources
# workbook exclusions, AOE UnattachedDisks). Tag keys match by prefix, any case.
KEPT_TAG_PREFIXES = (
    "asr-replicadisk",
    "asrseeddisk",
    "rsvaultbackup",
    "kubernetes.io-created-for-",
    "k8s-azure-created-by",
)
KEPT_NAMES = ("-asrreplica", "ms-asr-", "asrseeddisk-")
# Disk states that mean in use even without an owner in managedBy: attached (Reserved:
# to a deallocated VM, Frozen: to a hibernated one), exported through a SAS, or being
# uploaded to (az disk create --upload-type creates a disk in ReadyToUpload).
BUSY_STATES = (
    "Attached",
    "Reserved",
    "Frozen",
    "ActiveSAS",
    "ActiveSASFrozen",
    "ReadyToUpload",
    "ActiveUpload",
)


def _kept_on_purpose() -> pl.Expr:
    name = pl.col("name").str.to_lowercase()
    by_tag = pl.any_horizontal([has_tag_key(prefix) for prefix in KEPT_TAG_PREFIXES])
    by_name = pl.any_horizontal([name.str.contains(n, literal=True) for n in KEPT_NAMES])
    return by_tag | by_name


def _detached_at() -> pl.Expr:
    """When the disk last changed owner (Resource Graph's LastOwnershipUpdateTime), if known."""
    text = prop("$.LastOwnershipUpdateTime", "$.lastOwnershipUpdateTime")
    return text.str.slice(0, 19).str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False)


@rule(
    "unattached_disk",
    "Delete an unattached managed disk",
    "Storage",
    impact="medium",
    effort="low",
    risk="medium",
)
def unattached_disk(ctx: RuleContext) -> pl.DataFrame:
    """A disk no VM uses keeps billing its full provisioned size.

    Where the inventory says when the disk was detached, it must have been unattached
    for ``unattached_disk.min_age_days``; where it doesn't, the finding says the age
    is unknown.
    """
    min_days = int(ctx.setting("unattached_disk.min_age_days"))
    disks = ctx.resources(DISK).filter(
        ((pl.col("disk_state") == "Unattached") | pl.col("managed_by").is_null())
        & ~pl.col("disk_state").fill_null("").is_in(list(BUSY_STATES))
        & ~_kept_on_purpose()
    )
    disks = disks.with_columns(
        (pl.lit(ctx.as_of) - _detached_at().dt.date()).dt.total_days().alias("days_unattached")
    ).filter(pl.col("days_unattached").is_null() | (pl.col("days_unattached") >= min_days))
    disks = with_cost(ctx, disks)
    age = (
        pl.when(pl.col("days_unattached").is_null())
        .then(pl.lit("for an unknown time (the inventory has no LastOwnershipUpdateTime)"))
        .otherwise(pl.concat_str(pl.lit("for "), pl.col("days_unattached"), pl.lit(" days")))
    )
    return output(
        disks,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The {sku} disk ({size} GB) has been attached to no VM {age} and costs {cost} a month. "
            "Snapshot it if the data matters, then delete it.",
            sku=pl.col("sku_name"),
            size=pl.col("disk_size_gb"),
            age=age,
            cost=money("monthly_cost"),
        ),
        evidence=["disk_state", "sku_name", "disk_size_gb", "time_created", "days_unattached"],
        remediation=az("az disk delete --ids {id} --yes"),
        confidence=pl.when(pl.col("days_unattached").is_null())
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high")),
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
            ratio=percent("standard_ssd_price_ratio"),
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


# What a snapshot may back: managed images and gallery image versions built from it,
# and VM restore points (instant-restore snapshots of Azure Backup live there).
IMAGE_TYPES = ("microsoft.compute/images", "microsoft.compute/galleries/images/versions")
RESTORE_POINT_TYPES = (
    "microsoft.compute/restorepointcollections",
    "microsoft.compute/restorepointcollections/restorepoints",
)
BACKUP_GROUP_PREFIX = "azurebackuprg"  # Azure Backup's own resource groups


def _snapshot_owner(ctx: RuleContext) -> pl.Expr:
    """Why a snapshot must stay (an image, a restore point, Azure Backup), or null."""
    images = ctx.resources().filter(pl.col("type").is_in(list(IMAGE_TYPES)))
    points = ctx.resources().filter(pl.col("type").is_in(list(RESTORE_POINT_TYPES)))
    in_image = list(referenced_ids(images, SNAPSHOT))
    in_point = list(referenced_ids(points, SNAPSHOT))
    tags = pl.col("tags").fill_null("{}").str.to_lowercase()
    backup = (
        has_tag_key("rsvaultbackup")
        | tags.str.contains("azurebackup", literal=True)
        | pl.col("resource_group")
        .fill_null("")
        .str.to_lowercase()
        .str.starts_with(BACKUP_GROUP_PREFIX)
    )
    return (
        pl.when(pl.col("resource_id").is_in(in_image))
        .then(pl.lit("an image"))
        .when(pl.col("resource_id").is_in(in_point))
        .then(pl.lit("a restore point"))
        .when(backup)
        .then(pl.lit("Azure Backup"))
        .when(pl.col("managed_by").fill_null("") != "")
        .then(pl.concat_str(pl.lit("the resource "), pl.col("managed_by")))
        .otherwise(pl.lit(None, dtype=pl.Utf8))
    )


@rule(
    "old_snapshot", "Delete an old snapshot", "Storage", impact="low", effort="low", risk="medium"
)
def old_snapshot(ctx: RuleContext) -> pl.DataFrame:
    """Snapshots older than 90 days are rarely restored but billed every month.

    Snapshots behind an image, a restore point or Azure Backup stay. When the inventory
    lists no images at all (a query that left them out), the finding says it could
    not check.
    """
    days = int(ctx.setting("old_snapshot.days"))
    cutoff = datetime.combine(ctx.as_of, datetime.min.time()) - timedelta(days=days)
    snaps = ctx.resources(SNAPSHOT).filter(pl.col("time_created") < cutoff)
    snaps = snaps.filter(_snapshot_owner(ctx).is_null())
    snaps = with_cost(ctx, snaps).with_columns(
        (pl.lit(ctx.as_of) - pl.col("time_created").dt.date()).dt.total_days().alias("age_days")
    )
    images_listed = not ctx.resources().filter(pl.col("type").is_in(list(IMAGE_TYPES))).is_empty()
    check = (
        "No image, restore point or backup in the inventory refers to it."
        if images_listed
        else "The inventory lists no images or gallery image versions, so whether one was built "
        "from this snapshot could not be checked."
    )
    return output(
        snaps,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The snapshot is {age} days old (limit {days}) and costs {cost} a month. {check}",
            age=pl.col("age_days"),
            days=pl.lit(days),
            cost=money("monthly_cost"),
            check=pl.lit(check),
        ),
        evidence=["time_created", "age_days", "disk_size_gb"],
        remediation=az("az snapshot delete --ids {id}"),
        confidence="high" if images_listed else "medium",
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
    """Hot accounts holding much data with few transactions pay the hot premium for nothing.

    The saving is the Hot block-blob capacity cost times what Cool saves per GB, less
    what Cool charges more for the measured transactions (priced as writes, the dearer
    kind) and for reading data back (the measured egress). Every price is a ratio to
    Hot's price per GB-month applied to the account's own price, so no list price is
    ever reported as money.
    """
    accounts = ctx.resources(STORAGE).filter(pl.col("access_tier") == "Hot")
    accounts = with_metric(ctx, accounts, "UsedCapacity", "average", 1.0, "used_capacity_bytes")
    accounts = (
        accounts.join(_daily(ctx, "Transactions", "transactions"), on="resource_id", how="left")
        .join(_daily(ctx, "Egress", "egress_bytes"), on="resource_id", how="left")
        .with_columns(
            (pl.col("used_capacity_bytes") / GIB).alias("used_capacity_gb"),
            pl.col("transactions_per_day_max").fill_null(0.0),
            pl.col("transactions_per_day_mean").fill_null(0.0),
        )
    )
    accounts = accounts.filter(
        (pl.col("used_capacity_gb") >= ctx.setting("storage_tiering.min_capacity_gb"))
        & (
            pl.col("transactions_per_day_max")
            < ctx.setting("storage_tiering.max_transactions_per_day")
        )
    ).join(ctx.capacity_cost(), on="resource_id", how="inner")
    accounts = with_cost(ctx, _tiering_figures(accounts)).filter(pl.col("net_saving") > 0)
    return output(
        accounts,
        savings=pl.col("net_saving"),
        description=fmt(
            "{gb} GB sit in the Hot tier with at most {tx} transactions a day. Cool stores the account's hot "
            "block blobs {pct}% cheaper ({capacity} a month) but charges more per transaction and per GB "
            "read back: {extra} a month at the measured {tx_month} transactions and {egress} GB read{unknown}. "
            "Cool bills each blob for at least {min_days} days: a blob deleted or moved back sooner pays "
            "for the rest of those days (early deletion).",
            gb=pl.col("used_capacity_gb").round(0),
            tx=pl.col("transactions_per_day_max").round(0),
            pct=pl.lit(round((1 - COOL_SHARE) * 100)),
            capacity=money("capacity_saving"),
            extra=money(pl.col("extra_operations_cost") + pl.col("retrieval_cost")),
            tx_month=pl.col("transactions_per_month").round(0),
            egress=pl.col("egress_gb_per_month").round(1),
            unknown=pl.when(pl.col("egress_bytes_per_day_mean").is_null())
            .then(pl.lit(" (no Egress metric: reads back are not counted)"))
            .otherwise(pl.lit("")),
            min_days=pl.lit(prices.COOL_MINIMUM_DAYS),
        ),
        evidence=[
            "access_tier",
            "used_capacity_gb",
            "transactions_per_day_max",
            "transactions_per_month",
            "egress_gb_per_month",
            "capacity_monthly_cost",
            "capacity_saving",
            "extra_operations_cost",
            "retrieval_cost",
        ],
        target=pl.lit("Cool"),
        remediation=az("az storage account update --ids {id} --access-tier Cool"),
        confidence=pl.when(pl.col("egress_bytes_per_day_mean").is_null())
        .then(pl.lit("medium"))
        .otherwise(pl.lit("high")),
    )


COOL_SHARE = prices.STORAGE_GB_MONTH["Cool"] / prices.STORAGE_GB_MONTH["Hot"]


def _tiering_figures(accounts: pl.DataFrame) -> pl.DataFrame:
    """Capacity saving and Cool's extra charges, in the account's own prices.

    ``price_factor`` is the account's real price per hot GB-month over the list price:
    it turns any list-price difference into the account's money and currency.
    """
    hot = prices.STORAGE_GB_MONTH["Hot"]
    write_extra = (prices.STORAGE_WRITE_10K["Cool"] - prices.STORAGE_WRITE_10K["Hot"]) / 10_000
    retrieval = prices.STORAGE_RETRIEVAL_GB["Cool"] - prices.STORAGE_RETRIEVAL_GB["Hot"]
    price_per_gb_month = pl.coalesce(
        pl.col("capacity_window_cost") / pl.col("capacity_gb_months"),
        pl.col("capacity_monthly_cost") / pl.col("used_capacity_gb"),
    )
    return (
        accounts.with_columns(
            (price_per_gb_month / hot).alias("price_factor"),
            (pl.col("transactions_per_day_mean") * MONTH_DAYS).alias("transactions_per_month"),
            (pl.col("egress_bytes_per_day_mean").fill_null(0.0) * MONTH_DAYS / GIB).alias(
                "egress_gb_per_month"
            ),
            (pl.col("capacity_monthly_cost") * (1 - COOL_SHARE)).alias("capacity_saving"),
        )
        .with_columns(
            (pl.col("transactions_per_month") * write_extra * pl.col("price_factor")).alias(
                "extra_operations_cost"
            ),
            (pl.col("egress_gb_per_month") * retrieval * pl.col("price_factor")).alias(
                "retrieval_cost"
            ),
        )
        .with_columns(
            (
                pl.col("capacity_saving")
                - pl.col("extra_operations_cost")
                - pl.col("retrieval_cost")
            ).alias("net_saving")
        )
    )


def _daily(ctx: RuleContext, metric: str, name: str) -> pl.DataFrame:
    return ctx.metric_daily_total(metric).select(
        "resource_id",
        pl.col("day_max").alias(f"{name}_per_day_max"),
        pl.col("day_mean").alias(f"{name}_per_day_mean"),
    )
