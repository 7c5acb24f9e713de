"""Hourly platform metrics as exported from Log Analytics' ``AzureMetrics`` table.

Each role gets a level far from any rule threshold: idle VMs peak near 1 % CPU,
right-size candidates near 15 %, busy machines at 60-80 %. Series are built as
(resources x hours) numpy matrices; only the hours a resource was running (or,
for PaaS, existed) become rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cloudoptima.demo import catalog as c
from cloudoptima.demo.estate import BoolArray, Estate, Resource, hours_between, vm_power
from cloudoptima.demo.meters import Calendar, storage_capacity_gb

FloatMatrix = NDArray[np.float64]
METRIC_DAYS = 35
SAMPLES_PER_HOUR = 60.0  # one-minute samples rolled up into PT1H rows
MIB = 1024.0 * 1024.0
METRIC_COLUMNS = (
    "TenantId",
    "SourceSystem",
    "TimeGenerated",
    "ResourceId",
    "Resource",
    "ResourceGroup",
    "ResourceProvider",
    "SubscriptionId",
    "MetricName",
    "Total",
    "Count",
    "Maximum",
    "Minimum",
    "Average",
    "TimeGrain",
    "UnitName",
    "Type",
    "_ResourceId",
)

# Peak level bands per role: the P95/P99 of the generated series lands inside them.
CPU_PEAK = {"idle": (0.8, 1.2), "rightsize": (11.5, 16.5), "busy": (61.0, 79.0)}
AVAILABLE_MEMORY = {"idle": (86.0, 92.0), "rightsize": (72.0, 78.0), "busy": (22.0, 36.0)}
NETWORK_OUT_PER_HOUR = {"idle": (1.0e5, 6.0e5), "rightsize": (5.0e7, 2.0e8), "busy": (3.0e8, 3.0e9)}
DISK_SHARE = {"underused": (0.004, 0.010), "attached": (0.35, 0.55)}
DTU_PEAK = {"idle": (4.0, 9.0), "busy": (62.0, 82.0)}
PLAN_CPU_PEAK = {"underused": (4.0, 9.0), "busy": (56.0, 74.0)}
PLAN_MEMORY = {"underused": (16.0, 24.0), "busy": (48.0, 66.0)}
# Look-alike VMs behave like idle ones; only what else is known keeps them from the rule.
VM_LEVELS = {"aks": "idle", "fresh": "idle"}
EGRESS_BYTES_PER_TRANSACTION = 64 * 1024.0  # storage reads back 64 KiB a transaction


@dataclass
class Series:
    """Aggregates of one metric for a group of resources: (resources, hours) matrices."""

    resources: list[Resource]
    name: str
    unit: str
    present: BoolArray
    maximum: FloatMatrix
    average: FloatMatrix
    minimum: FloatMatrix | None = None
    count: float = SAMPLES_PER_HOUR

    @property
    def total(self) -> FloatMatrix:
        """Return Total = Average x Count, as Log Analytics defines it."""
        return self.average * self.count


@dataclass
class MetricSet:
    """Every generated metric series, kept for the ground-truth evidence."""

    hours: NDArray[np.datetime64]
    series: list[Series] = field(default_factory=list)

    def values(
        self, resource: Resource, metric: str, stat: str = "maximum", last_hours: int = 0
    ) -> NDArray[np.float64]:
        """Return one statistic of a resource's metric over the (last) hours it has data."""
        for group in self.series:
            if group.name == metric and resource in group.resources:
                row = group.resources.index(resource)
                matrix = group.total if stat == "total" else getattr(group, stat)
                start = -last_hours if last_hours else 0
                values: NDArray[np.float64] = matrix[row, start:][group.present[row, start:]]
                return values
        return np.array([], dtype=np.float64)


def _diurnal(hours: NDArray[np.datetime64]) -> NDArray[np.float64]:
    """Return a daily load curve in [0, 1] that peaks mid-afternoon UTC."""
    hour = (hours - hours.astype("datetime64[D]")).astype(np.float64)
    curve: NDArray[np.float64] = 0.5 - 0.5 * np.cos(2.0 * np.pi * (hour - 3.0) / 24.0)
    return curve


def _shaped(
    rng: np.random.Generator,
    hours: NDArray[np.datetime64],
    peaks: NDArray[np.float64],
    floor: float,
) -> FloatMatrix:
    """Return per-resource series that reach ``peaks`` in the busiest hours of each day."""
    shape = floor + (1.0 - floor) * _diurnal(hours)
    jitter = rng.uniform(0.96, 1.0, (peaks.size, hours.size))
    result: FloatMatrix = peaks[:, None] * shape[None, :] * jitter
    return result


Bands = dict[str, tuple[float, float]]
Hours = NDArray[np.datetime64]


def _levels(rng: np.random.Generator, bands: Bands, roles: list[str]) -> NDArray[np.float64]:
    return np.array([rng.uniform(*bands[role]) for role in roles])


def _vm_series(estate: Estate, hours: Hours, rng: np.random.Generator) -> list[Series]:
    vms = estate.of_type("Microsoft.Compute/virtualMachines")
    present = np.vstack([vm_power(vm, hours)[0] for vm in vms])
    # Long-deallocated VMs have no data in the window at all.
    keep = [bool(row.any()) for row in present]
    vms, present = [vm for vm, k in zip(vms, keep, strict=True) if k], present[keep]
    roles = [VM_LEVELS.get(vm.role, vm.role) for vm in vms]
    roles = [role if role in CPU_PEAK else "busy" for role in roles]
    cpu_max = _shaped(rng, hours, _levels(rng, CPU_PEAK, roles), 0.45)
    cpu_avg = cpu_max * rng.uniform(0.55, 0.75, cpu_max.shape)
    memory = _levels(rng, AVAILABLE_MEMORY, roles)[:, None] + rng.uniform(-1.0, 1.0, cpu_max.shape)
    net_out = _shaped(rng, hours, _levels(rng, NETWORK_OUT_PER_HOUR, roles), 0.3)
    net_in = net_out * rng.uniform(0.4, 0.7, net_out.shape)
    return [
        Series(vms, "Percentage CPU", "Percent", present, cpu_max, cpu_avg, cpu_avg * 0.5),
        Series(
            vms,
            "Available Memory Percentage",
            "Percent",
            present,
            memory + 1.5,
            memory,
            memory - 1.5,
        ),
        _volume(vms, "Network Out Total", present, net_out),
        _volume(vms, "Network In Total", present, net_in),
    ]


def _volume(
    resources: list[Resource], name: str, present: BoolArray, per_hour: FloatMatrix
) -> Series:
    """A Bytes metric whose Total is the volume of the hour."""
    average = per_hour / SAMPLES_PER_HOUR
    return Series(resources, name, "Bytes", present, average * 1.6, average, average * 0.4)


def _disk_series(estate: Estate, hours: Hours, rng: np.random.Generator) -> list[Series]:
    disks = [
        d
        for d in estate.of_type("Microsoft.Compute/disks")
        if d.sku == "Premium_LRS" and d.owner is not None
    ]
    present = np.vstack([vm_power(d.owner, hours)[0] for d in disks if d.owner is not None])
    tiers = [c.DISK_TIERS[d.sku][d.size_gb] for d in disks]
    roles = [d.role for d in disks]
    iops = np.array([t.iops for t in tiers]) * _levels(rng, DISK_SHARE, roles)
    throughput = np.array([t.mbps for t in tiers]) * MIB * _levels(rng, DISK_SHARE, roles)
    series = []
    for name, peaks, unit in (
        ("Composite Disk Read Operations/sec", iops * 0.6, "CountPerSecond"),
        ("Composite Disk Write Operations/sec", iops * 0.4, "CountPerSecond"),
        ("Composite Disk Read Bytes/sec", throughput * 0.6, "BytesPerSecond"),
        ("Composite Disk Write Bytes/sec", throughput * 0.4, "BytesPerSecond"),
    ):
        maximum = _shaped(rng, hours, peaks, 0.3)
        average = maximum * rng.uniform(0.4, 0.6, maximum.shape)
        series.append(Series(disks, name, unit, present, maximum, average, average * 0.3))
    return series


def _storage_series(estate: Estate, hours: Hours, rng: np.random.Generator) -> list[Series]:
    accounts = estate.of_type("Microsoft.Storage/storageAccounts")
    present = np.ones((len(accounts), hours.size), dtype=bool)
    share = _diurnal(hours) + 0.3
    share = share / share.reshape(-1, 24).sum(axis=1).repeat(24)
    daily = np.array([account.usage for account in accounts])
    transactions = rng.poisson(daily[:, None] * share[None, :]).astype(np.float64)
    days = hours.astype("datetime64[D]")
    window = Calendar.between(days[0].item(), days[-1].item())
    capacity = np.vstack([storage_capacity_gb(a, window) for a in accounts]).repeat(24, axis=1)
    used = capacity * 2.0**30
    return [
        Series(
            accounts,
            "Transactions",
            "Count",
            present,
            transactions / 20.0,
            transactions / SAMPLES_PER_HOUR,
            np.zeros_like(transactions),
        ),
        Series(accounts, "UsedCapacity", "Bytes", present, used, used, used, count=1.0),
        _volume(accounts, "Egress", present, transactions * EGRESS_BYTES_PER_TRANSACTION),
    ]


def _database_series(estate: Estate, hours: Hours, rng: np.random.Generator) -> list[Series]:
    databases = [
        db for db in estate.of_type("Microsoft.Sql/servers/databases") if db.role != "serverless"
    ]
    present = np.ones((len(databases), hours.size), dtype=bool)
    roles = [db.role for db in databases]
    average = _shaped(rng, hours, _levels(rng, DTU_PEAK, roles), 0.5)
    maximum = np.minimum(100.0, average * rng.uniform(1.0, 1.1, average.shape))
    return [
        Series(
            databases,
            "dtu_consumption_percent",
            "Percent",
            present,
            maximum,
            average,
            average * 0.6,
        )
    ]


def _plan_series(estate: Estate, hours: Hours, rng: np.random.Generator) -> list[Series]:
    # Plans without sites (empty or free) emit nothing worth judging, so they get no rows.
    plans = [p for p in estate.of_type("Microsoft.Web/serverFarms") if p.role in PLAN_CPU_PEAK]
    present = np.ones((len(plans), hours.size), dtype=bool)
    roles = [plan.role for plan in plans]
    cpu_avg = _shaped(rng, hours, _levels(rng, PLAN_CPU_PEAK, roles), 0.45)
    cpu_max = np.minimum(100.0, cpu_avg * rng.uniform(1.0, 1.08, cpu_avg.shape))
    memory = _levels(rng, PLAN_MEMORY, roles)[:, None] + rng.uniform(-1.5, 1.5, cpu_avg.shape)
    return [
        Series(plans, "CpuPercentage", "Percent", present, cpu_max, cpu_avg, cpu_avg * 0.5),
        Series(plans, "MemoryPercentage", "Percent", present, memory + 2.0, memory, memory - 2.0),
    ]


def generate_metrics(estate: Estate, seed: int) -> MetricSet:
    """Return the hourly metrics of the last METRIC_DAYS days ending at ``end`` 23:00."""
    hours = hours_between(estate.end - timedelta(days=METRIC_DAYS - 1), estate.end)
    rng = np.random.default_rng([seed, 2])
    metrics = MetricSet(hours)
    for build in (_vm_series, _disk_series, _storage_series, _database_series, _plan_series):
        metrics.series.extend(build(estate, hours, rng))
    return metrics


def _provider(resource: Resource) -> str:
    return resource.arm_type.split("/", 1)[0].upper()


def _repeat(value: str, size: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(size, dtype=np.int64)))


def _string_column(values: list[str], index: NDArray[np.int64]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


STATISTICS = ("Total", "Count", "Maximum", "Minimum", "Average")


def _statistics(
    group: Series, rows: NDArray[np.int64], hours: NDArray[np.int64]
) -> list[NDArray[np.float64]]:
    minimum = group.minimum if group.minimum is not None else group.average
    matrices = (group.total, None, group.maximum, minimum, group.average)
    return [
        np.full(rows.size, group.count) if m is None else np.round(m[rows, hours], 4)
        for m in matrices
    ]


def metrics_table(estate: Estate, metrics: MetricSet) -> pa.Table:
    """Return the AzureMetrics rows (only hours with data) as an Arrow table."""
    keys: list[tuple[Resource, Series]] = []
    series_index, hour_index = [], []
    values: list[list[NDArray[np.float64]]] = [[] for _ in STATISTICS]
    for group in metrics.series:
        rows, hours = np.nonzero(group.present)
        series_index.append(rows + len(keys))
        hour_index.append(hours)
        for column, stat in zip(values, _statistics(group, rows, hours), strict=True):
            column.append(stat)
        keys.extend((resource, group) for resource in group.resources)
    index = np.concatenate(series_index)
    stamps = metrics.hours[np.concatenate(hour_index)].astype("datetime64[us]")
    columns = {
        "TenantId": _repeat(estate.workspace_id, index.size),
        "SourceSystem": _repeat("Azure", index.size),
        "TimeGenerated": pa.array(stamps).cast(pa.timestamp("us", tz="UTC")),
        "ResourceId": _string_column([r.id.upper() for r, _ in keys], index),
        "Resource": _string_column([r.name.upper() for r, _ in keys], index),
        "ResourceGroup": _string_column([r.group.upper() for r, _ in keys], index),
        "ResourceProvider": _string_column([_provider(r) for r, _ in keys], index),
        "SubscriptionId": _string_column([r.subscription.guid for r, _ in keys], index),
        "MetricName": _string_column([g.name for _, g in keys], index),
        "TimeGrain": _repeat("PT1H", index.size),
        "UnitName": _string_column([g.unit for _, g in keys], index),
        "Type": _repeat("AzureMetrics", index.size),
        "_ResourceId": _string_column([r.id.lower() for r, _ in keys], index),
    }
    for name, column in zip(STATISTICS, values, strict=True):
        columns[name] = pa.array(np.concatenate(column))
    return pa.table({name: columns[name] for name in METRIC_COLUMNS})


def write_metrics(estate: Estate, metrics: MetricSet, path: Path) -> Path:
    """Write the AzureMetrics export as Parquet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(metrics_table(estate, metrics), path)
    return path
