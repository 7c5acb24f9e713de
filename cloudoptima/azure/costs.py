"""Daily costs of each subscription, actual and amortized, from Cost Management.

A sync fetches whole calendar months, from the month the window starts in to today,
because an import replaces a subscription's billing period as a whole (the same rule
as for export files): a partial month would drop the days before the window.

Subscriptions up to ``large_scope_resources`` resources use the Query API (daily,
grouped by resource and the kept dimensions, ``include: Tags``, paged with
``nextLink``), mapped to FOCUS by :mod:`cloudoptima.azure.cost_focus`. Larger ones use
the Cost Details report (generate, poll, download each blob without a token), whose
CSV is the cost-and-usage-details export ingest already reads. A subscription's costs
land whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cloudoptima.azure import cost_focus
from cloudoptima.azure.access import Subscription
from cloudoptima.azure.clients import AzureSession, raw_json
from cloudoptima.azure.problems import explain
from cloudoptima.azure.report import PartFailure
from cloudoptima.errors import CloudOptimaError

KINDS = {"ActualCost": "actual", "AmortizedCost": "amortized"}

Tick = Callable[[int, int], None]


@dataclass
class CostsFetch:
    """FOCUS rows from the Query API, Cost Details CSVs by file name, and failures."""

    focus_rows: list[dict[str, Any]] = field(default_factory=list)
    detail_files: dict[str, bytes] = field(default_factory=dict)
    failures: list[PartFailure] = field(default_factory=list)
    query_done: int = 0  # subscriptions whose Query API costs arrived whole
    first_day: date | None = None
    last_day: date | None = None


def months(days: int, today: date) -> list[tuple[date, date]]:
    """Whole calendar months from the one ``days`` before ``today`` up to today."""
    cursor = (today - timedelta(days=days)).replace(day=1)
    spans = []
    while cursor <= today:
        following = (cursor + timedelta(days=32)).replace(day=1)
        spans.append((cursor, min(following - timedelta(days=1), today)))
        cursor = following
    return spans


def fetch_costs(
    session: AzureSession,
    subscriptions: Sequence[Subscription],
    *,
    days: int,
    today: date,
    resource_counts: dict[str, int],
    large_scope_resources: int,
    secret: str | None,
    tick: Tick,
) -> CostsFetch:
    """Costs of every subscription over the window; failures are reported per subscription."""
    client = session.costs()
    spans = months(days, today)
    fetched = CostsFetch(first_day=spans[0][0], last_day=spans[-1][1])
    for index, sub in enumerate(subscriptions):
        large = resource_counts.get(sub.id, 0) >= large_scope_resources
        try:
            if large:
                fetched.detail_files.update(cost_details(session, client, sub, spans))
            else:
                fetched.focus_rows.extend(query_costs(client, sub, spans))
                fetched.query_done += 1
        except Exception as exc:  # any Azure error: this subscription's costs are reported
            fetched.failures.append(
                PartFailure("costs", sub, explain(exc, dataset="costs", secret=secret))
            )
        tick(index + 1, len(subscriptions))
    return fetched


def query_costs(
    client: Any, sub: Subscription, spans: Sequence[tuple[date, date]]
) -> list[dict[str, Any]]:
    """FOCUS rows of one subscription over ``spans`` from the Query API."""
    rows: list[dict[str, Any]] = []
    for first, last in spans:
        actual = query_all(client, sub.id, cost_focus.query_body("ActualCost", first, last))
        amortized = query_all(client, sub.id, cost_focus.query_body("AmortizedCost", first, last))
        rows.extend(cost_focus.merge(actual, amortized, sub))
    return rows


def query_all(client: Any, subscription_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of a query, POSTing the same body to each ``nextLink`` (204: no rows)."""
    content = json.dumps(body).encode("utf-8")
    rows: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        page = client.query.usage(
            f"subscriptions/{subscription_id}", content, params=params, cls=raw_json
        )
        if not page:
            return rows
        rows.extend(cost_focus.result_rows(page))
        next_link = (page.get("properties") or {}).get("nextLink")
        if not next_link:
            return rows
        params = next_page_params(next_link)


def next_page_params(next_link: str) -> dict[str, str]:
    """The query parameters of a ``nextLink`` (its ``$skiptoken``) but the api-version."""
    pairs = parse_qsl(urlsplit(next_link).query, keep_blank_values=True)
    return {key: value for key, value in pairs if key.lower() != "api-version"}


def cost_details(
    session: AzureSession, client: Any, sub: Subscription, spans: Sequence[tuple[date, date]]
) -> dict[str, bytes]:
    """Cost Details CSVs of one subscription, actual and amortized, one per month."""
    files: dict[str, bytes] = {}
    blobs = session.pipeline(signed=False)
    for first, last in spans:
        for metric, dataset in KINDS.items():
            body = {"metric": metric, "timePeriod": {"start": str(first), "end": str(last)}}
            poller = client.generate_cost_details_report.begin_create_operation(
                f"subscriptions/{sub.id}",
                json.dumps(body).encode("utf-8"),
                cls=raw_json,
                polling_interval=session.tuning.pause_s,
            )
            result = poller.result() or {}
            for number, blob in enumerate(_blobs(result), start=1):
                name = f"costdetails-{dataset}-{sub.id}-{first:%Y-%m}-{number}.csv"
                files[name] = download(blobs, blob)
    return files


def _blobs(result: dict[str, Any]) -> list[str]:
    status = str(result.get("status") or "Completed")
    if status.lower() == "nodatafound":
        return []
    if status.lower() != "completed":
        error = (result.get("error") or {}).get("message") or status
        raise CloudOptimaError(f"the Cost Details report did not complete: {error}")
    manifest = result.get("manifest") or {}
    return [str(b["blobLink"]) for b in manifest.get("blobs") or [] if b.get("blobLink")]


def download(client: Any, url: str) -> bytes:
    """A report blob: a SAS URL, fetched without the bearer token."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    response = client.send_request(HttpRequest("GET", url))
    if response.status_code != 200:
        raise HttpResponseError(response=response)
    return bytes(response.read())
