"""Hourly Azure Monitor metrics of the resources the rules read.

One ``metrics.list`` call per resource and time slice asks for every metric of its
type at once (Azure allows 20 names per call); resources are fetched by a bounded
pool of threads. A metric a resource does not offer makes Azure refuse the whole
call (400), so the call is then repeated metric by metric and the unknown ones are
left out. The responses are written as JSON lines, one Azure Monitor response per
line, which ingest reads as ``monitor-json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cloudoptima.azure.access import Subscription
from cloudoptima.azure.clients import AzureSession, raw_json
from cloudoptima.azure.problems import explain
from cloudoptima.azure.report import PartFailure

# Metrics the rules use (cloudoptima/analysis/rules/), by lower-case resource type.
METRICS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "microsoft.compute/virtualmachines": (
        "Percentage CPU",
        "Network In Total",
        "Network Out Total",
        "Available Memory Bytes",
        "Available Memory Percentage",
    ),
    "microsoft.compute/disks": (
        "Composite Disk Read Operations/sec",
        "Composite Disk Write Operations/sec",
        "Composite Disk Read Bytes/sec",
        "Composite Disk Write Bytes/sec",
    ),
    "microsoft.storage/storageaccounts": ("Transactions", "UsedCapacity"),
    "microsoft.web/serverfarms": ("CpuPercentage", "MemoryPercentage"),
    "microsoft.sql/servers/databases": ("cpu_percent", "dtu_consumption_percent"),
    "microsoft.network/loadbalancers": ("ByteCount", "PacketCount"),
    "microsoft.network/applicationgateways": ("Throughput", "TotalRequests"),
}
AGGREGATION = "average,maximum,minimum,total,count"
GRAIN = "PT1H"
SLICE = timedelta(days=30)  # one call covers at most this much time
_STOPPED = ("deallocated", "stopped", "deallocating")

Tick = Callable[[int, int], None]


@dataclass
class MetricsFetch:
    """Monitor responses by subscription, and what failed."""

    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[PartFailure] = field(default_factory=list)
    resources: int = 0

    @property
    def points(self) -> int:
        """Data points holding at least one aggregate."""
        return sum(_points(r) for rs in self.responses.values() for r in rs)

    def to_json_lines(self) -> str:
        """Every response, one per line."""
        return "".join(json.dumps(r) + "\n" for rs in self.responses.values() for r in rs)


def wanted(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resources whose metrics a rule reads (stopped VMs have none to read)."""
    chosen = []
    for record in records:
        kind = str(record.get("type") or "").lower()
        if kind not in METRICS_BY_TYPE:
            continue
        power = json.dumps(record.get("properties", {}).get("extended", {})).lower()
        if kind.endswith("virtualmachines") and any(f"powerstate/{s}" in power for s in _STOPPED):
            continue
        chosen.append(record)
    return chosen


def fetch_metrics(
    session: AzureSession,
    records: Sequence[dict[str, Any]],
    subscriptions: Sequence[Subscription],
    *,
    start: datetime,
    end: datetime,
    concurrency: int,
    secret: str | None,
    tick: Tick,
) -> MetricsFetch:
    """Hourly metrics of ``records`` between ``start`` and ``end`` (UTC)."""
    by_id = {s.id: s for s in subscriptions}
    todo = [r for r in wanted(records) if _subscription(r) in by_id]
    fetched = MetricsFetch(resources=len(todo))
    if not todo:
        tick(1, 1)
        return fetched
    client = session.monitor(next(iter(by_id))).metrics
    slices = time_slices(start, end)
    failed: dict[str, list[str]] = {}

    def one(record: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | str]:
        try:
            return record, [r for s in slices for r in _resource_metrics(client, record, s)]
        except Exception as exc:  # any Azure error: reported for the subscription
            return record, explain(exc, dataset="metrics", secret=secret)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for done, (record, result) in enumerate(pool.map(one, todo), start=1):
            sub = _subscription(record)
            if isinstance(result, str):
                failed.setdefault(sub, []).append(result)
            else:
                fetched.responses.setdefault(sub, []).extend(result)
            tick(done, len(todo))
    for sub, messages in failed.items():
        total = sum(_subscription(r) == sub for r in todo)
        message = f"{len(messages)} of {total} resources failed; first: {messages[0]}"
        fetched.failures.append(PartFailure("metrics", by_id[sub], message))
        fetched.responses.pop(sub, None)  # a subscription's metrics land whole or not at all
    return fetched


def time_slices(start: datetime, end: datetime) -> list[str]:
    """ISO 8601 timespans of at most SLICE each, covering ``start`` to ``end``."""
    spans = []
    cursor = start
    while cursor < end:
        stop = min(cursor + SLICE, end)
        spans.append(f"{cursor:%Y-%m-%dT%H:%M:%SZ}/{stop:%Y-%m-%dT%H:%M:%SZ}")
        cursor = stop
    return spans


def _resource_metrics(client: Any, record: dict[str, Any], timespan: str) -> list[dict[str, Any]]:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    names = METRICS_BY_TYPE[str(record.get("type")).lower()]
    try:
        return [_call(client, record, timespan, names)]
    except ResourceNotFoundError:
        return []  # deleted since the inventory saw it
    except HttpResponseError as exc:
        if exc.status_code != 400 or len(names) == 1:
            raise
    responses = []
    for name in names:  # one of them is not offered by this resource
        try:
            responses.append(_call(client, record, timespan, (name,)))
        except HttpResponseError as exc:
            if exc.status_code not in (400, 404):
                raise
    return responses


def _call(client: Any, record: dict[str, Any], timespan: str, names: Sequence[str]) -> Any:
    return client.list(
        str(record["id"]),
        timespan=timespan,
        interval=GRAIN,
        metricnames=",".join(names),
        aggregation=AGGREGATION,
        cls=raw_json,
    )


def _subscription(record: dict[str, Any]) -> str:
    sub = record.get("subscriptionId") or str(record.get("id") or "").strip("/").split("/")[1]
    return str(sub).lower()


def _points(response: dict[str, Any]) -> int:
    keys = ("average", "maximum", "minimum", "total", "count")
    return sum(
        1
        for metric in response.get("value") or []
        for series in metric.get("timeseries") or []
        for point in series.get("data") or []
        if any(point.get(k) is not None for k in keys)
    )
