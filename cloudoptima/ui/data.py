"""Typed, cached reads of a workspace for the pages.

Each accessor is keyed on the workspace folder and the version its result depends
on: the data version (a new import) for costs and forecasts, the state version too
(a status or setting change) for findings and settings. So an import shows at once,
and a finding's status change recomputes only what depends on it, never a forecast.
Results are copies (``st.cache_data``), so a page may change them freely.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from cloudoptima.analysis.costs import FilterValue
from cloudoptima.analysis.forecast import ForecastResult
from cloudoptima.analysis.rates import RateOptimization
from cloudoptima.ui.session import open_workspace
from cloudoptima.workspace import Workspace

TTL = "1h"
ENTRIES = 64
Filters = Mapping[str, FilterValue] | None


def _frozen(filters: Filters) -> tuple[tuple[str, Any], ...]:
    """Filters as a hashable, ordered key (lists become tuples)."""
    items = []
    for key, value in sorted((filters or {}).items()):
        items.append((key, tuple(value) if isinstance(value, list | tuple) else value))
    return tuple(items)


def totals(ws: Workspace) -> pl.DataFrame:
    """Per billing currency: cost, rows, first and last day."""
    return _totals(str(ws.root), ws.data_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _totals(root: str, version: int) -> pl.DataFrame:
    return open_workspace(root).totals()


def date_range(ws: Workspace) -> tuple[date, date] | None:
    """The first and last day with cost data in any currency (None when there is none)."""
    frame = totals(ws)
    if frame.is_empty():
        return None
    first, last = frame["first_day"].min(), frame["last_day"].max()
    assert isinstance(first, date)
    assert isinstance(last, date)
    return first, last


def currencies(ws: Workspace) -> list[str]:
    """Billing currencies, the one with most cost rows first."""
    frame = totals(ws).sort("rows", descending=True)
    return [str(c) for c in frame["BillingCurrency"].to_list()]


def costs(
    ws: Workspace,
    by: str | Sequence[str] = (),
    *,
    currency: str,
    start: date | None = None,
    end: date | None = None,
    metric: str | None = None,
    grain: str | None = None,
    filters: Filters = None,
    inherit_tags: bool = False,
) -> pl.DataFrame:
    """Cost breakdown in one billing currency (see :meth:`Workspace.costs`)."""
    dims = (by,) if isinstance(by, str) else tuple(by)
    return _costs(
        str(ws.root),
        ws.data_version,
        dims,
        currency,
        start,
        end,
        metric,
        grain,
        _frozen(filters),
        inherit_tags,
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _costs(
    root: str,
    version: int,
    by: tuple[str, ...],
    currency: str,
    start: date | None,
    end: date | None,
    metric: str | None,
    grain: str | None,
    filters: tuple[tuple[str, Any], ...],
    inherit_tags: bool,
) -> pl.DataFrame:
    return open_workspace(root).costs(
        by,
        start=start,
        end=end,
        metric=metric,
        grain=grain,
        filters=dict(filters),
        inherit_tags=inherit_tags,
        currency=currency,
    )


def fallback_note(
    ws: Workspace, *, currency: str, start: date | None = None, end: date | None = None
) -> str | None:
    """The sentence to show when effective cost fell back to billed cost in a range."""
    gaps = _fallback(str(ws.root), ws.data_version, currency, start, end)
    if gaps.is_empty():
        return None
    days, amount = int(gaps["days"].sum()), float(gaps["cost"].sum())
    return (
        f"Effective (amortized) cost is missing on {days} subscription-day(s) of this range "
        f"(no amortized export covers them): billed cost stands in for it there, "
        f"{currency} {amount:,.2f} of the figures."
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _fallback(
    root: str, version: int, currency: str, start: date | None, end: date | None
) -> pl.DataFrame:
    return open_workspace(root).cost_fallback(start=start, end=end, currency=currency)


def cost_changes(ws: Workspace, *, currency: str, mode: str = "mtd") -> pl.DataFrame:
    """Totals of this period against the previous one, in one currency."""
    return _cost_changes(str(ws.root), ws.data_version, currency, mode)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _cost_changes(root: str, version: int, currency: str, mode: str) -> pl.DataFrame:
    return open_workspace(root).cost_changes(mode=mode, currency=currency)


def top_movers(ws: Workspace, by: str, *, metric: str, currency: str) -> pl.DataFrame:
    """The largest increases month to date, with their top resources."""
    return _top_movers(str(ws.root), ws.data_version, by, metric, currency)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _top_movers(root: str, version: int, by: str, metric: str, currency: str) -> pl.DataFrame:
    return open_workspace(root).top_movers(by, metric=metric, currency=currency)


def tag_keys(ws: Workspace) -> list[str]:
    """Tag keys to group and filter by, the required ones first."""
    return list(_tag_keys(str(ws.root), ws.data_version, ws.state_version))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _tag_keys(root: str, version: int, state: int) -> tuple[str, ...]:
    return tuple(open_workspace(root).tag_keys())


def findings(ws: Workspace, *, status: str | None = None) -> pl.DataFrame:
    """Findings with their current status (see :meth:`Workspace.findings`)."""
    return _findings(str(ws.root), ws.data_version, ws.state_version, status)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _findings(root: str, version: int, state: int, status: str | None) -> pl.DataFrame:
    return open_workspace(root).findings(status=status)


REALIZED_SCHEMA = {
    "finding_id": pl.String,
    "rule": pl.String,
    "resource_id": pl.String,
    "resource_name": pl.String,
    "BillingCurrency": pl.String,
    "monthly_savings": pl.Float64,
    "resolved_on": pl.Date,
    "days_after": pl.Int64,
    "realized_monthly_savings": pl.Float64,
}


def realized_savings(ws: Workspace, *, currency: str | None = None) -> pl.DataFrame:
    """Measured savings of resolved findings (in one currency when given); empty with its
    columns when nothing is resolved."""
    frame = _realized(str(ws.root), ws.data_version, ws.state_version)
    if frame.is_empty():
        return pl.DataFrame(schema=REALIZED_SCHEMA)
    return frame if currency is None else frame.filter(pl.col("BillingCurrency") == currency)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _realized(root: str, version: int, state: int) -> pl.DataFrame:
    return open_workspace(root).realized_savings()


def settings(ws: Workspace) -> dict[str, Any]:
    """The workspace's analysis settings (defaults overlaid with its values)."""
    return _settings(str(ws.root), ws.state_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _settings(root: str, state: int) -> dict[str, Any]:
    return open_workspace(root).settings()


def forecast(
    ws: Workspace, *, by: str | None = None, budget: float | None = None
) -> ForecastResult:
    """Daily forecast with bands, horizons, backtest and budget burn (fitted once per data
    version; stored budgets come from settings, hence the state version in the key)."""
    return _forecast(str(ws.root), ws.data_version, ws.state_version, by, budget)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner="Forecasting…")
def _forecast(
    root: str, version: int, state: int, by: str | None, budget: float | None
) -> ForecastResult:
    with plain_main():
        return open_workspace(root).forecast(by=by, budget=budget)


@contextlib.contextmanager
def plain_main() -> Iterator[None]:
    """Hide the page script from the forecast's worker processes while they start.

    Streamlit runs each page as the ``__main__`` module (with ``__file__`` set to the
    script), and a spawned process imports ``__main__`` again before it does any work:
    each Prophet worker would re-run the page, without a session ("missing
    ScriptRunContext"), and fail. An empty ``__main__`` gives the workers nothing to run.
    """
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def anomalies(ws: Workspace) -> pl.DataFrame:
    """Cost anomaly events with their contributing resources and status."""
    return _anomalies(str(ws.root), ws.data_version, ws.state_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _anomalies(root: str, version: int, state: int) -> pl.DataFrame:
    return open_workspace(root).anomalies()


def rate_optimization(ws: Workspace) -> RateOptimization:
    """Commitment utilization, coverage and savings per month."""
    return _rates(str(ws.root), ws.data_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _rates(root: str, version: int) -> RateOptimization:
    return open_workspace(root).rate_optimization()


def resources(ws: Workspace, *, search: str | None = None) -> pl.DataFrame:
    """The inventory, optionally searched."""
    return _resources(str(ws.root), ws.data_version, search or None)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _resources(root: str, version: int, search: str | None) -> pl.DataFrame:
    return open_workspace(root).resources(search=search)


def resource(ws: Workspace, resource_id: str) -> dict[str, Any] | None:
    """One resource in detail."""
    return _resource(str(ws.root), ws.data_version, resource_id)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _resource(root: str, version: int, resource_id: str) -> dict[str, Any] | None:
    return open_workspace(root).resource(resource_id)


def resource_metrics(ws: Workspace, resource_id: str) -> pl.DataFrame:
    """The metric points of one resource."""
    return _resource_metrics(str(ws.root), ws.data_version, resource_id)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _resource_metrics(root: str, version: int, resource_id: str) -> pl.DataFrame:
    return open_workspace(root).resource_metrics(resource_id)


def subscription_names(ws: Workspace) -> dict[str, str]:
    """Subscription GUID (lower case) -> its name, from cost rows and inventory."""
    return dict(_subscription_names(str(ws.root), ws.data_version))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _subscription_names(root: str, version: int) -> tuple[tuple[str, str], ...]:
    return tuple(open_workspace(root).subscription_names().items())


def imports(ws: Workspace) -> pl.DataFrame:
    """The import log, newest first."""
    return _imports(str(ws.root), ws.data_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _imports(root: str, version: int) -> pl.DataFrame:
    return open_workspace(root).imports()


def freshness(ws: Workspace) -> pl.DataFrame:
    """When each data source was last imported and how recent its data is."""
    return _freshness(str(ws.root), ws.data_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _freshness(root: str, version: int) -> pl.DataFrame:
    return open_workspace(root).freshness()


def rates_by_month(ws: Workspace) -> pl.DataFrame:
    """Utilization, coverage, unused commitment, savings and ESR per month and currency."""
    return _rates_by_month(str(ws.root), ws.data_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _rates_by_month(root: str, version: int) -> pl.DataFrame:
    return open_workspace(root).rates_by_month()


def tag_coverage(
    ws: Workspace, *, currency: str, start: date, end: date, inherit_tags: bool
) -> pl.DataFrame:
    """Spend without each required tag (the required tags are a setting: state version)."""
    return _tag_coverage(
        str(ws.root), ws.data_version, ws.state_version, currency, start, end, inherit_tags
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _tag_coverage(
    root: str, version: int, state: int, currency: str, start: date, end: date, inherit: bool
) -> pl.DataFrame:
    return open_workspace(root).tag_coverage(
        start=start, end=end, inherit_tags=inherit, currency=currency
    )


def showback(
    ws: Workspace, tag_key: str, *, currency: str, start: date, end: date, inherit_tags: bool
) -> pl.DataFrame:
    """Cost per value of one tag, with "(unallocated)"."""
    return _showback(str(ws.root), ws.data_version, tag_key, currency, start, end, inherit_tags)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _showback(
    root: str, version: int, tag_key: str, currency: str, start: date, end: date, inherit: bool
) -> pl.DataFrame:
    return open_workspace(root).showback(
        tag_key, start=start, end=end, inherit_tags=inherit, currency=currency
    )


def data_coverage(ws: Workspace) -> pl.DataFrame:
    """Which datasets each month and subscription holds, and how fresh."""
    return _data_coverage(str(ws.root), ws.data_version)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _data_coverage(root: str, version: int) -> pl.DataFrame:
    return open_workspace(root).data_coverage()
