"""Cost breakdowns and period-over-period changes.

Every function reads through ``reader.sql`` and groups by BillingCurrency, so amounts in
different currencies are never added. Money columns are ``Decimal(38, 10)``, the type
of the ``costs`` table, so sums stay exact; ratios (``delta_pct``) are Float64.

Examples
--------
>>> breakdown(reader, "ServiceName", grain="month", metric="EffectiveCost")  # doctest: +SKIP
>>> cost_changes(reader, "SubAccountName", mode="mtd")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from cloudoptima.analysis.dimensions import (
    COST_METRICS,
    UNTAGGED,
    check_metric,
    costs_with_fallback,
    date_filter,
    dimension_sql,
    last_cost_day,
    parse_dimensions,
    tag_value_sql,
)
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.reader import Reader
from cloudoptima.storage.sql import quote_ident, quote_literal

# A filter wants one value or any of several; None stands for a missing value.
FilterValue = str | None | Sequence[str | None]
GRAINS = ("day", "week", "month")
MODES = ("month", "mtd")
# With both metrics, rows sort by the amortized view first: it is the FinOps default.
_SORT_METRICS = ("EffectiveCost", "BilledCost")
_GROUP_TYPE = "microsoft.resources/subscriptions/resourcegroups"
_SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"

# Inventory ids are lower-cased; a cost row's resource id is the most precise source of
# its subscription and group, SubAccountId and x_ResourceGroupName cover rows without one.
_SUBSCRIPTION_ID = (
    "coalesce(nullif(regexp_extract(lower(ResourceId), '^/subscriptions/[^/]+'), ''), "
    "CASE WHEN starts_with(lower(SubAccountId), '/subscriptions/') THEN lower(SubAccountId) "
    "ELSE '/subscriptions/' || lower(SubAccountId) END)"
)
_GROUP_ID = (
    "coalesce(nullif(regexp_extract(lower(ResourceId), '^/subscriptions/[^/]+/resourcegroups/[^/]+'), ''), "
    f"{_SUBSCRIPTION_ID} || '/resourcegroups/' || lower(x_ResourceGroupName))"
)
_INHERITANCE_JOIN = f"""
    LEFT JOIN (SELECT resource_id AS _rg_id, tags AS _rg_tags FROM resources
               WHERE type = {quote_literal(_GROUP_TYPE)}) AS _rg ON _rg_id = {_GROUP_ID}
    LEFT JOIN (SELECT resource_id AS _sub_id, tags AS _sub_tags FROM resources
               WHERE type = {quote_literal(_SUBSCRIPTION_TYPE)}) AS _sub ON _sub_id = {_SUBSCRIPTION_ID}"""


@dataclass(frozen=True)
class Window:
    """The two inclusive day ranges a change compares."""

    current_start: date
    current_end: date
    previous_start: date
    previous_end: date


def breakdown(
    reader: Reader,
    by: str | Sequence[str] = (),
    *,
    start: date | None = None,
    end: date | None = None,
    metric: str | None = None,
    grain: str | None = None,
    filters: Mapping[str, FilterValue] | None = None,
    inherit_tags: bool = False,
    currency: str | None = None,
    with_fallback: bool = False,
) -> pl.DataFrame:
    """Cost totals grouped by dimensions, per currency and optionally per period.

    Parameters
    ----------
    reader
        The workspace to read.
    by
        FOCUS columns or ``tag:KEY``, as a list or a comma-separated string.
    start, end
        Inclusive days of ChargePeriodStart.
    metric
        ``BilledCost`` or ``EffectiveCost``; None returns both (a sum is null when no
        row of the group has that metric). With one metric, rows without a value for
        it (an export of the other dataset) are left out.
    grain
        ``day``, ``week`` (ISO, from Monday) or ``month`` adds a leading ``period`` column.
    filters
        Dimension -> value or list of values; None matches missing values and
        ``(untagged)`` matches rows without the tag.
    inherit_tags
        Tags missing on a cost row come from its resource group, then its subscription
        (inventory rows of those types).
    currency
        Only rows billed in this currency (all currencies when None).
    with_fallback
        Add ``<metric>Fallback`` per metric: the part of the figure that came from the
        other metric because no row of that subscription and day carried it (see
        :func:`~cloudoptima.analysis.dimensions.costs_with_fallback`; that stand-in
        applies whether or not the column is asked for).

    Returns
    -------
    polars.DataFrame
        ``[period], *by, BillingCurrency, metrics``, sorted by period, currency, cost desc.
    """
    dims = _dimensions(by)
    metrics = [check_metric(metric)] if metric else list(COST_METRICS)
    scope, params = _scope_sql(
        dims,
        start,
        end,
        metric=metric,
        filters=filters,
        inherit_tags=inherit_tags,
        currency=currency,
    )
    keys = [quote_ident(d) for d in dims]
    period = [f"{_period_sql(grain)} AS period"] if grain else []
    sums = [f"sum({quote_ident(m)}) AS {quote_ident(m)}" for m in metrics]
    if with_fallback:
        sums += [
            f"coalesce(sum({quote_ident(m)}) FILTER (WHERE _{m}_fallback), 0) AS {quote_ident(m + 'Fallback')}"
            for m in metrics
        ]
    order = [
        *(["period"] if grain else []),
        "BillingCurrency",
        *(f"{quote_ident(m)} DESC NULLS LAST" for m in _SORT_METRICS if m in metrics),
        *(f"{k} NULLS LAST" for k in keys),
    ]
    select = ", ".join([*period, *keys, "BillingCurrency", *sums])
    return reader.sql(
        f"SELECT {select} FROM ({scope}) GROUP BY ALL ORDER BY {', '.join(order)}", params
    )


def fallback_days(
    reader: Reader,
    metric: str = "EffectiveCost",
    *,
    start: date | None = None,
    end: date | None = None,
    currency: str | None = None,
) -> pl.DataFrame:
    """Where ``metric`` fell back to the other metric: per currency and subscription.

    Returns BillingCurrency, SubAccountId, SubAccountName, days, first_day, last_day and
    cost (the amount that stood in); empty when every day carried ``metric``.
    """
    rows, params = costs_with_fallback(start, end)
    where, extra = date_filter(start, end)
    clauses = [where.removeprefix("WHERE ")] if where else []
    clauses.append(f"_{check_metric(metric)}_fallback")
    if currency is not None:
        clauses.append("BillingCurrency = ?")
        extra.append(currency)
    return reader.sql(
        f"""SELECT BillingCurrency, SubAccountId, any_value(SubAccountName) AS SubAccountName,
                   count(DISTINCT ChargePeriodStart::DATE) AS days,
                   min(ChargePeriodStart)::DATE AS first_day, max(ChargePeriodStart)::DATE AS last_day,
                   sum({quote_ident(metric)}) AS cost
            FROM {rows} AS costs WHERE {" AND ".join(clauses)}
            GROUP BY ALL ORDER BY BillingCurrency, SubAccountId""",
        [*params, *extra],
    )


def cost_changes(
    reader: Reader,
    by: str | Sequence[str] = (),
    *,
    as_of: date | None = None,
    metric: str = "EffectiveCost",
    mode: str = "month",
    currency: str | None = None,
) -> pl.DataFrame:
    """Period-over-period cost change per group and currency (one currency when given).

    ``mode="month"`` compares the last complete month up to ``as_of`` (default: the
    last day with cost data) with the month before; ``mode="mtd"`` compares the month
    to date with the same days of the previous month (clipped to its length).

    Returns
    -------
    polars.DataFrame
        ``*by, BillingCurrency, current, previous, delta, delta_pct`` and the window
        dates ``current_start .. previous_end``; ``delta_pct`` is in percent of
        ``|previous|``, null when previous is 0. Sorted by currency, delta desc.
    """
    window = comparison_window(as_of or _default_as_of(reader), mode)
    return _changes(reader, _dimensions(by), check_metric(metric), window, currency)


def top_movers(
    reader: Reader,
    by: str | Sequence[str] = "ServiceName",
    *,
    as_of: date | None = None,
    metric: str = "EffectiveCost",
    mode: str = "mtd",
    limit: int = 10,
    resources: int = 3,
    currency: str | None = None,
) -> pl.DataFrame:
    """The largest cost increases, ranked by absolute and by relative change.

    Each currency is ranked on its own. The relative ranking only holds groups whose
    previous cost was positive (a percentage of nothing means nothing).

    Returns
    -------
    polars.DataFrame
        ``ranking`` ("absolute" | "relative"), ``rank`` (1-based), the columns of
        :func:`cost_changes` and ``top_resources``: up to ``resources`` resource ids
        with the largest increase within the group.
    """
    dims = _dimensions(by)
    window = comparison_window(as_of or _default_as_of(reader), mode)
    rising = _changes(reader, dims, check_metric(metric), window, currency)
    rising = rising.filter(pl.col("delta") > 0)
    keys = [*dims, "BillingCurrency"]
    contributors = _top_contributors(reader, dims, metric, window, resources, currency)
    rising = rising.join(contributors, on=keys, how="left", nulls_equal=True, maintain_order="left")
    rising = rising.with_columns(pl.col("top_resources").fill_null(pl.lit([], pl.List(pl.String))))
    ranked = [
        _rank(rising, "absolute", "delta", dims, limit),
        _rank(rising.filter(pl.col("previous") > 0), "relative", "delta_pct", dims, limit),
    ]
    return pl.concat(ranked).select("ranking", "rank", *rising.columns)


def comparison_window(as_of: date, mode: str) -> Window:
    """The current and previous day ranges of ``mode`` ("month" or "mtd") at ``as_of``."""
    if mode not in MODES:
        raise CloudOptimaError(f"unknown comparison mode '{mode}'; use month or mtd")
    if mode == "mtd":
        current_start = as_of.replace(day=1)
        month_before = current_start - timedelta(days=1)
        previous_start = month_before.replace(day=1)
        previous_end = previous_start.replace(day=min(as_of.day, month_before.day))
        return Window(current_start, as_of, previous_start, previous_end)
    # A month is complete when the data reaches its last day.
    complete = as_of + timedelta(days=1)
    current_end = as_of if complete.day == 1 else as_of.replace(day=1) - timedelta(days=1)
    previous_end = current_end.replace(day=1) - timedelta(days=1)
    return Window(
        current_end.replace(day=1), current_end, previous_end.replace(day=1), previous_end
    )


def _default_as_of(reader: Reader) -> date:
    # Analyses run relative to the data; the clock only matters when there is none.
    return last_cost_day(reader) or date.today()


def _changes(
    reader: Reader, dims: list[str], metric: str, window: Window, currency: str | None = None
) -> pl.DataFrame:
    scope, scope_params = _scope_sql(
        dims, window.previous_start, window.current_end, metric=metric, currency=currency
    )
    current, current_params = date_filter(window.current_start, window.current_end)
    previous, previous_params = date_filter(window.previous_start, window.previous_end)
    current, previous = current.removeprefix("WHERE "), previous.removeprefix("WHERE ")
    value, keys = quote_ident(metric), [quote_ident(d) for d in dims]
    sums = f"""SELECT {", ".join([*keys, "BillingCurrency"])},
               coalesce(sum({value}) FILTER ({current}), 0) AS "current",
               coalesce(sum({value}) FILTER ({previous}), 0) AS "previous"
        FROM ({scope}) GROUP BY ALL HAVING count(*) FILTER (({current}) OR ({previous})) > 0"""
    pct = 'CASE WHEN "previous" = 0 THEN NULL ELSE 100 * ("current" - "previous")::DOUBLE / abs("previous")::DOUBLE END'
    order = ", ".join(["BillingCurrency", "delta DESC", *(f"{k} NULLS LAST" for k in keys)])
    frame = reader.sql(
        f"""SELECT *, "current" - "previous" AS delta, {pct} AS delta_pct
            FROM ({sums}) ORDER BY {order}""",
        [*current_params, *previous_params, *scope_params, *current_params, *previous_params],
    )
    return frame.with_columns(
        current_start=pl.lit(window.current_start),
        current_end=pl.lit(window.current_end),
        previous_start=pl.lit(window.previous_start),
        previous_end=pl.lit(window.previous_end),
    )


def _top_contributors(
    reader: Reader,
    dims: list[str],
    metric: str,
    window: Window,
    limit: int,
    currency: str | None,
) -> pl.DataFrame:
    keys = [*dims, "BillingCurrency"]
    keys_with_resource = list(dict.fromkeys([*dims, "ResourceId"]))
    per_resource = _changes(reader, keys_with_resource, metric, window, currency)
    return (
        per_resource.filter(pl.col("delta") > 0, pl.col("ResourceId").is_not_null())
        .sort(["delta", "ResourceId"], descending=[True, False])
        .group_by(keys, maintain_order=True)
        .agg(pl.col("ResourceId").head(limit).alias("top_resources"))
    )


def _rank(
    frame: pl.DataFrame, ranking: str, column: str, dims: list[str], limit: int
) -> pl.DataFrame:
    order = ["BillingCurrency", column, *dims]
    descending = [False, True, *([False] * len(dims))]
    return (
        frame.sort(order, descending=descending, nulls_last=True)
        .with_columns(
            ranking=pl.lit(ranking),
            rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("BillingCurrency"),
        )
        .filter(pl.col("rank") <= limit)
    )


def _scope_sql(
    dims: list[str],
    start: date | None,
    end: date | None,
    *,
    metric: str | None,
    filters: Mapping[str, FilterValue] | None = None,
    inherit_tags: bool = False,
    currency: str | None = None,
) -> tuple[str, list[Any]]:
    """The cost rows in scope: period, currency, both metrics and one column per dimension."""
    filters = dict(filters or {})
    inherit = inherit_tags and any(_is_tag(d) for d in [*dims, *filters])
    columns = "".join(f", {_dimension_sql(d, inherit)} AS {quote_ident(d)}" for d in dims)
    where, params = date_filter(start, end)
    clauses = [where.removeprefix("WHERE ")] if where else []
    for dim, wanted in filters.items():
        clause, values = _filter_sql(_dimension_sql(dim, inherit), wanted)
        clauses.append(clause)
        params.extend(values)
    if metric is not None:
        clauses.append(f"{quote_ident(metric)} IS NOT NULL")
    if currency is not None:
        clauses.append("BillingCurrency = ?")
        params.append(currency)
    rows, rows_params = costs_with_fallback(start, end)
    sql = (
        f"SELECT ChargePeriodStart, BillingCurrency, BilledCost, EffectiveCost, "
        f"_BilledCost_fallback, _EffectiveCost_fallback{columns} "
        f"FROM {rows} AS costs {_INHERITANCE_JOIN if inherit else ''} "
        + ("WHERE " + " AND ".join(clauses) if clauses else "")
    )
    return sql, [*rows_params, *params]


def _filter_sql(expression: str, wanted: FilterValue) -> tuple[str, list[Any]]:
    values = [wanted] if wanted is None or isinstance(wanted, str) else list(wanted)
    present = [v for v in values if v is not None]
    parts = [f"{expression} IN ({', '.join('?' * len(present))})"] if present else []
    if len(present) < len(values):
        parts.append(f"{expression} IS NULL")
    # An empty list of wanted values matches nothing, as `IN ()` would.
    return ("(" + " OR ".join(parts) + ")" if parts else "false"), present


def _dimensions(by: str | Sequence[str]) -> list[str]:
    """Parsed dimensions; DuckDB names are case-insensitive, so 'tag:env' and 'tag:ENV' are one."""
    unique: dict[str, str] = {}
    for dimension in parse_dimensions(by):
        unique.setdefault(dimension.lower(), dimension)
    return list(unique.values())


def _is_tag(dimension: str) -> bool:
    return dimension.startswith("tag:") and len(dimension) > len("tag:")


def _dimension_sql(dimension: str, inherit: bool) -> str:
    """A dimension; with ``inherit``, a tag falls back to its group's, then subscription's."""
    if not (inherit and _is_tag(dimension)):
        return dimension_sql(dimension)
    key, untagged = dimension.removeprefix("tag:"), quote_literal(UNTAGGED)
    own, group = (f"nullif({tag_value_sql(key, c)}, {untagged})" for c in ("Tags", "_rg_tags"))
    return f"coalesce({own}, {group}, {tag_value_sql(key, '_sub_tags')})"


def _period_sql(grain: str) -> str:
    if grain not in GRAINS:
        raise CloudOptimaError(f"unknown grain '{grain}'; use day, week or month")
    # The grain is one of GRAINS, so it can be written into the SQL; DuckDB weeks start Monday.
    return f"date_trunc({quote_literal(grain)}, ChargePeriodStart)::DATE"
