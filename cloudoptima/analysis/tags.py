"""Tag coverage and showback: how much cost carries the tags finance allocates by.

Both build on :func:`cloudoptima.analysis.costs.breakdown`, so they share its tag rules:
keys match whatever their case or stray spaces, a key with an empty value counts as
missing (as the untagged_cost rule does), and ``inherit_tags`` fills missing tags from the resource group,
then the subscription. Money columns are ``Decimal(38, 10)``; shares are Float64.

Examples
--------
>>> tag_coverage(reader, ["CostCenter", "env"])  # doctest: +SKIP
>>> showback(reader, "team", inherit_tags=True).write_csv("showback.csv")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from cloudoptima.analysis.costs import breakdown
from cloudoptima.analysis.dimensions import UNTAGGED, check_metric
from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.reader import Reader

ALL_REQUIRED = "(all required)"
UNALLOCATED = "(unallocated)"


def tag_coverage(
    reader: Reader,
    required_tags: str | Sequence[str],
    *,
    start: date | None = None,
    end: date | None = None,
    metric: str = "EffectiveCost",
    inherit_tags: bool = False,
    currency: str | None = None,
) -> pl.DataFrame:
    """Cost without each required tag, per currency.

    Parameters
    ----------
    reader
        The workspace to read.
    required_tags
        Tag keys, as a list or a comma-separated string; keys differing only in case
        are one key.
    start, end
        Inclusive days of ChargePeriodStart.
    metric
        ``EffectiveCost`` (default) or ``BilledCost``.
    inherit_tags
        Count tags inherited from the resource group or subscription as present.

    Returns
    -------
    polars.DataFrame
        ``BillingCurrency, tag, cost, untagged_cost, untagged_share``: one row per key in
        the given order, then ``(all required)`` for cost missing at least one of them.
    """
    keys = _tag_keys(required_tags)
    dims = [f"tag:{key}" for key in keys]
    costs = breakdown(
        reader,
        dims,
        start=start,
        end=end,
        metric=check_metric(metric),
        inherit_tags=inherit_tags,
        currency=currency,
    )
    missing = {key: pl.col(dim) == UNTAGGED for key, dim in zip(keys, dims, strict=True)}
    missing[ALL_REQUIRED] = pl.any_horizontal(*missing.values())
    parts = [_coverage(costs, metric, tag, untagged) for tag, untagged in missing.items()]
    return pl.concat(parts).sort("BillingCurrency", maintain_order=True)


def showback(
    reader: Reader,
    tag_key: str,
    *,
    start: date | None = None,
    end: date | None = None,
    metric: str = "EffectiveCost",
    inherit_tags: bool = False,
    currency: str | None = None,
) -> pl.DataFrame:
    """Cost per value of one tag, with the untagged rest as ``(unallocated)``.

    The rows of a currency add up to its total cost, so the table can be handed to
    finance as is (it holds no nested columns and writes to CSV).

    Returns
    -------
    polars.DataFrame
        ``tag:<tag_key>, BillingCurrency, cost, share`` where ``share`` is the part of
        the currency's total; sorted by currency, cost desc, ``(unallocated)`` last.
    """
    if not tag_key.strip():
        raise CloudOptimaError("name the tag to allocate cost by")
    dim = f"tag:{tag_key}"
    costs = breakdown(
        reader,
        dim,
        start=start,
        end=end,
        metric=check_metric(metric),
        inherit_tags=inherit_tags,
        currency=currency,
    )
    value, cost = pl.col(dim), pl.col("cost")
    return (
        costs.rename({metric: "cost"})
        .with_columns(value.replace(UNTAGGED, UNALLOCATED))
        .with_columns(share=_ratio(cost, cost.sum().over("BillingCurrency")))
        .sort(
            ["BillingCurrency", value == UNALLOCATED, "cost", dim],
            descending=[False, False, True, False],
        )
    )


def _tag_keys(required_tags: str | Sequence[str]) -> list[str]:
    parts = [required_tags] if isinstance(required_tags, str) else list(required_tags)
    keys = [key.strip() for part in parts for key in part.split(",") if key.strip()]
    if not keys:
        raise CloudOptimaError("name at least one required tag")
    # Azure tag keys are case-insensitive: 'Env' and 'env' are the same requirement.
    unique: dict[str, str] = {}
    for key in keys:
        unique.setdefault(key.lower(), key)
    return list(unique.values())


def _coverage(costs: pl.DataFrame, metric: str, tag: str, untagged: pl.Expr) -> pl.DataFrame:
    cost = pl.col(metric)
    return (
        costs.group_by("BillingCurrency", maintain_order=True)
        .agg(cost.sum().alias("cost"), cost.filter(untagged).sum().alias("untagged_cost"))
        .select(
            "BillingCurrency",
            pl.lit(tag).alias("tag"),
            "cost",
            "untagged_cost",
            _ratio(pl.col("untagged_cost"), pl.col("cost")).alias("untagged_share"),
        )
    )


def _ratio(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """``part / whole`` as Float64, null where the whole is zero."""
    return pl.when(whole != 0).then(part.cast(pl.Float64) / whole.cast(pl.Float64))
