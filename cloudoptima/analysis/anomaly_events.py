"""Anomaly events: one row per thing that happened, not one per dimension per day.

:func:`~cloudoptima.analysis.anomalies.detect_anomalies` judges each dimension on its
own, so one runaway Data Factory pipeline is flagged twice: as a service spike and as
a subscription spike. Flags of the same day and currency whose contributing resources
overlap are one event. An event is described by its first flag in the order of the
dimensions analysed (the service before the subscription), names its services and
subscriptions (names, not ids), and lists the resources behind it.

An event's id is stable across recomputation: its day, currency and describing flag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import polars as pl

STATUSES = ("open", "acknowledged", "dismissed")
CONTRIBUTORS = 5
_SUBSCRIPTION_DIMENSIONS = ("SubAccountId", "SubAccountName")

EVENT = pl.Struct(
    {
        "resource_id": pl.String,
        "name": pl.String,
        "expected": pl.Float64,
        "actual": pl.Float64,
        "delta": pl.Float64,
    }
)
SCHEMA = pl.Schema(
    {
        "anomaly_id": pl.String(),
        "date": pl.Date(),
        "BillingCurrency": pl.String(),
        "title": pl.String(),
        "services": pl.List(pl.String()),
        "subscriptions": pl.List(pl.String()),
        "dimension": pl.String(),
        "value": pl.String(),
        "expected": pl.Float64(),
        "actual": pl.Float64(),
        "delta": pl.Float64(),
        "delta_pct": pl.Float64(),
        "score": pl.Float64(),
        "contributors": pl.List(EVENT),
    }
)


def anomaly_id(day: Any, currency: str, dimension: str, value: str | None) -> str:
    """The stable id of an event described by this flag."""
    text = f"{day}|{currency}|{dimension}|{value}"
    return "anomaly:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def group_events(
    flags: pl.DataFrame, dimensions: Sequence[str], subscription_names: dict[str, str]
) -> pl.DataFrame:
    """One row per event (columns of :data:`SCHEMA`), newest first, then by score."""
    if flags.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    order = {d: i for i, d in enumerate(dimensions)}
    rows = flags.to_dicts()
    events = [_event(members, order, subscription_names) for members in _connected(rows)]
    frame = pl.DataFrame(events, schema=SCHEMA)
    return frame.sort(["date", "score"], descending=[True, True], nulls_last=True)


def _connected(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Flags grouped: same day and currency, and a contributing resource in common."""
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[Any, str, str], int] = {}
    for index, row in enumerate(rows):
        for contributor in row["contributors"] or []:
            key = (row["date"], row["BillingCurrency"], contributor["resource_id"])
            if key in owner:
                parent[root(index)] = root(owner[key])
            else:
                owner[key] = index
    groups: dict[int, list[dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(root(index), []).append(row)
    return list(groups.values())


def _event(
    members: list[dict[str, Any]], order: dict[str, int], names: dict[str, str]
) -> dict[str, Any]:
    lead = min(members, key=lambda r: (order.get(r["dimension"], 99), -abs(r["delta"] or 0)))
    services = sorted({str(r["value"]) for r in members if r["dimension"] == "ServiceName"})
    subscriptions = sorted(
        {
            _subscription(r["value"], names)
            for r in members
            if r["dimension"] in _SUBSCRIPTION_DIMENSIONS
        }
    )
    value = (
        _subscription(lead["value"], names)
        if lead["dimension"] in _SUBSCRIPTION_DIMENSIONS
        else str(lead["value"])
    )
    where = (
        f" in {', '.join(subscriptions)}" if subscriptions and value not in subscriptions else ""
    )
    return {
        "anomaly_id": anomaly_id(
            lead["date"], lead["BillingCurrency"], lead["dimension"], lead["value"]
        ),
        "date": lead["date"],
        "BillingCurrency": lead["BillingCurrency"],
        "title": value + where,
        "services": services,
        "subscriptions": subscriptions,
        "dimension": lead["dimension"],
        "value": lead["value"],
        **{k: lead[k] for k in ("expected", "actual", "delta", "delta_pct", "score")},
        "contributors": _contributors(members),
    }


def _contributors(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every resource behind the event once (its largest change), largest first."""
    best: dict[str, dict[str, Any]] = {}
    for row in members:
        for c in row["contributors"] or []:
            if c["resource_id"] not in best or abs(c["delta"]) > abs(
                best[c["resource_id"]]["delta"]
            ):
                best[c["resource_id"]] = c
    ranked = sorted(best.values(), key=lambda c: (-abs(c["delta"]), c["resource_id"]))
    return [
        {**c, "name": str(c["resource_id"]).rstrip("/").rsplit("/", 1)[-1]}
        for c in ranked[:CONTRIBUTORS]
    ]


def _subscription(value: Any, names: dict[str, str]) -> str:
    guid = str(value or "").rstrip("/").rsplit("/", 1)[-1].lower()
    return names.get(guid, str(value))


def with_status(events: pl.DataFrame, statuses: pl.DataFrame) -> pl.DataFrame:
    """Events with the status users gave them (``open`` when none) and its reason."""
    joined = events.join(
        statuses.select("anomaly_id", "status", pl.col("reason").alias("status_reason")),
        on="anomaly_id",
        how="left",
    )
    return joined.with_columns(pl.col("status").fill_null("open"))
