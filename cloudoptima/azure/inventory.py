"""Inventory from Azure Resource Graph: every resource of the scope, with VM power state.

Subscriptions are queried in batches; each query is paged with ``$skipToken`` (the
query orders by id, which Resource Graph needs for stable pages). A batch Azure
refuses is retried one subscription at a time, so one forbidden subscription never
loses the others. VMs whose Resource Graph row lacks
``properties.extended.instanceView.powerState`` get it from the Compute instance view.
The pages are written as Resource Graph JSON, the format ingest reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cloudoptima.azure.access import Subscription
from cloudoptima.azure.clients import AzureSession, raw_json
from cloudoptima.azure.problems import explain
from cloudoptima.azure.report import PartFailure

QUERY = (
    "Resources | project id, name, type, location, resourceGroup, subscriptionId, tenantId, "
    "kind, sku, tags, managedBy, properties, zones, identity, plan | order by id asc"
)
PAGE_SIZE = 1000
VM_TYPE = "microsoft.compute/virtualmachines"

Tick = Callable[[int, int], None]  # (done, total) within the dataset


@dataclass
class InventoryFetch:
    """The Resource Graph pages fetched, and the subscriptions that failed."""

    pages: list[dict[str, Any]] = field(default_factory=list)
    failures: list[PartFailure] = field(default_factory=list)
    done: set[str] = field(default_factory=set)  # subscriptions fully read

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every resource row of every page."""
        return [row for page in self.pages for row in page.get("data") or []]

    def to_json(self) -> str:
        """The pages as a JSON array: Resource Graph JSON as ingest reads it."""
        return json.dumps(self.pages)


def fetch_inventory(
    session: AzureSession,
    subscriptions: Sequence[Subscription],
    *,
    batch: int,
    concurrency: int,
    secret: str | None,
    tick: Tick,
) -> InventoryFetch:
    """Every resource of ``subscriptions``, then the power state Resource Graph left out."""
    graph = session.resource_graph()
    fetched = InventoryFetch()
    groups = [list(subscriptions[i : i + batch]) for i in range(0, len(subscriptions), batch)]
    for index, group in enumerate(groups):
        _fetch_group(graph, group, fetched, secret)
        tick(index + 1, len(groups) + 1)
    fill_power_states(session, fetched, concurrency=concurrency, secret=secret)
    tick(len(groups) + 1, len(groups) + 1)
    return fetched


def _fetch_group(
    graph: Any, group: list[Subscription], fetched: InventoryFetch, secret: str | None
) -> None:
    from azure.core.exceptions import HttpResponseError

    try:
        fetched.pages.extend(query_pages(graph, [s.id for s in group]))
        fetched.done.update(s.id for s in group)
        return
    except HttpResponseError as exc:
        if len(group) == 1:
            fetched.failures.append(
                PartFailure("inventory", group[0], explain(exc, dataset="inventory", secret=secret))
            )
            return
    for subscription in group:  # find out which one Azure refuses
        _fetch_group(graph, [subscription], fetched, secret)


def query_pages(graph: Any, subscription_ids: list[str]) -> list[dict[str, Any]]:
    """Resource Graph pages of the inventory query, following ``$skipToken`` to the end.

    The pages are returned only when every one arrived, so a failure mid-way adds nothing.
    """
    pages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        options: dict[str, Any] = {"resultFormat": "objectArray", "$top": PAGE_SIZE}
        if token:
            options["$skipToken"] = token
        body = {"subscriptions": subscription_ids, "query": QUERY, "options": options}
        page = graph.resources(json.dumps(body).encode("utf-8"), cls=raw_json)
        pages.append(page)
        token = page.get("$skipToken")
        if not token:
            return pages


def fill_power_states(
    session: AzureSession, fetched: InventoryFetch, *, concurrency: int, secret: str | None
) -> None:
    """Ask Compute for the power state of VMs whose Resource Graph row has none."""
    missing = [r for r in fetched.records if _is_vm(r) and _power_code(r) is None]
    if not missing:
        return
    clients: dict[str, Any] = {}
    for record in missing:
        sub = str(record.get("subscriptionId") or _segment(record, 1)).lower()
        if sub not in clients:
            clients[sub] = session.compute(sub).virtual_machines
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = pool.map(lambda r: _instance_power(clients, r, secret), missing)
        for record, result in zip(missing, results, strict=True):
            if isinstance(result, PartFailure):
                fetched.failures.append(result)
            elif result:
                view = record.setdefault("properties", {}).setdefault("extended", {})
                view.setdefault("instanceView", {})["powerState"] = result


def _instance_power(
    clients: dict[str, Any], record: dict[str, Any], secret: str | None
) -> dict[str, str] | PartFailure | None:
    from azure.core.exceptions import HttpResponseError

    sub = str(record.get("subscriptionId") or _segment(record, 1)).lower()
    group = str(record.get("resourceGroup") or _segment(record, 3))
    try:
        view = clients[sub].instance_view(group, str(record.get("name")), cls=raw_json)
    except HttpResponseError as exc:
        if exc.status_code == 404:  # deleted since Resource Graph saw it
            return None
        message = f"power state of {record.get('name')}: " + explain(
            exc, dataset="inventory", secret=secret
        )
        return PartFailure("inventory", Subscription(sub, sub), message, fatal=False)
    for status in view.get("statuses") or []:
        code = str(status.get("code") or "")
        if code.startswith("PowerState/"):
            return {"code": code, "displayStatus": str(status.get("displayStatus") or "")}
    return None


def _is_vm(record: dict[str, Any]) -> bool:
    return str(record.get("type") or "").lower() == VM_TYPE


def _power_code(record: dict[str, Any]) -> str | None:
    props = record.get("properties")
    view = props.get("extended", {}).get("instanceView", {}) if isinstance(props, dict) else {}
    power = view.get("powerState") if isinstance(view, dict) else None
    return power.get("code") if isinstance(power, dict) else None


def _segment(record: dict[str, Any], index: int) -> str:
    """A segment of the ARM id: 1 = subscription id, 3 = resource group."""
    parts = str(record.get("id") or "").strip("/").split("/")
    return parts[index] if len(parts) > index else ""
