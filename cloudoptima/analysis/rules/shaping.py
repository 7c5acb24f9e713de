"""Helpers the rule modules share: joining cost, shaping output, az commands."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from cloudoptima.analysis.rules.context import MONTH_DAYS, RuleContext

PERCENTILE = {"p95": 0.95, "p99": 0.99, "max": 1.0}
COST_COLUMNS = ("monthly_cost", "window_cost", "cost_days", "cost_basis", "currency")
# Columns a rule may name its finding with (a group has no inventory row to name it).
NAMING_COLUMNS = ("resource_name", "resource_type", "subscription_id", "resource_group", "location")


def with_cost(ctx: RuleContext, frame: pl.DataFrame) -> pl.DataFrame:
    """Add each resource's real cost per 30 days (0 when it had no cost in the window).

    Also adds what the figure rests on: ``window_cost``, ``cost_days``, ``cost_basis``
    and ``currency`` (see :meth:`RuleContext.monthly_cost`).
    """
    cost = ctx.monthly_cost().select("resource_id", *COST_COLUMNS)
    frame = frame.drop([c for c in COST_COLUMNS if c in frame.columns])
    return frame.join(cost, on="resource_id", how="left").with_columns(
        pl.col("monthly_cost").fill_null(0.0)
    )


def with_metric(
    ctx: RuleContext,
    frame: pl.DataFrame,
    metric: str,
    statistic: str,
    q: float,
    name: str,
    *,
    how: str = "inner",
) -> pl.DataFrame:
    """Join the q-quantile of a metric statistic as column ``name``."""
    stats = ctx.metric_quantile(metric, statistic, q).select(
        "resource_id", pl.col("value").alias(name)
    )
    return frame.join(stats, on="resource_id", how=how)  # type: ignore[arg-type]


def output(
    frame: pl.DataFrame,
    *,
    savings: pl.Expr,
    description: pl.Expr,
    evidence: list[str],
    remediation: pl.Expr,
    target: pl.Expr | None = None,
    confidence: pl.Expr | str = "high",
) -> pl.DataFrame:
    """Shape a rule's matches into the catalogue's output columns.

    Where the frame carries its cost (:func:`with_cost`), the output states it too: the
    currency and basis the savings are in, and, when the resource has fewer days of
    cost than a month, a sentence saying the monthly figures rest on those days.
    """
    conf = pl.lit(confidence) if isinstance(confidence, str) else confidence
    costed = "cost_days" in frame.columns
    if costed:
        evidence = [*evidence, *(c for c in ("cost_days",) if c not in evidence)]
        description = pl.concat_str(description, _partial_cost_note())
    passed = [
        pl.col(name).alias(alias)
        for name, alias in (
            ("currency", "BillingCurrency"),
            ("cost_basis", "cost_basis"),
            ("monthly_cost", "monthly_cost"),
        )
        if costed and name in frame.columns
    ] + [pl.col(name) for name in NAMING_COLUMNS if name in frame.columns]
    return frame.select(
        pl.col("resource_id"),
        savings.cast(pl.Float64).round(6).alias("monthly_savings"),
        description.alias("description"),
        pack_evidence(frame, evidence).alias("evidence"),
        (target if target is not None else pl.lit(None, dtype=pl.Utf8)).alias("target"),
        remediation.alias("remediation"),
        conf.alias("confidence"),
        *passed,
    )


def _partial_cost_note() -> pl.Expr:
    days = pl.col("cost_days")
    return (
        pl.when(days.is_not_null() & (days < MONTH_DAYS))
        .then(
            pl.concat_str(
                pl.lit(" Monthly figures are based on "),
                days.cast(pl.Utf8),
                pl.lit(f" day(s) of cost, scaled to {MONTH_DAYS} days."),
            )
        )
        .otherwise(pl.lit(""))
    )


def pack_evidence(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """The evidence columns of each row as JSON object text."""
    rows = frame.select(columns).to_dicts() if frame.height else []
    return pl.Series(
        [json.dumps(_clean(r), sort_keys=True, default=str) for r in rows], dtype=pl.Utf8
    )


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}


def az(command: str) -> pl.Expr:
    """An az CLI command for each row: ``{id}`` becomes the resource's ARM id."""
    parts = command.split("{id}")
    pieces: list[pl.Expr] = []
    for index, part in enumerate(parts):
        pieces.append(pl.lit(part))
        if index < len(parts) - 1:
            pieces.append(pl.col("resource_id"))
    return pl.concat_str(pieces)


def money(amount: str | pl.Expr, decimals: int = 2) -> pl.Expr:
    """An amount as text with its currency, as the app shows money: ``USD 1,216.51``."""
    value = pl.col(amount) if isinstance(amount, str) else amount

    def text(row: dict[str, Any]) -> str | None:
        if row["amount"] is None:
            return None
        number = f"{row['amount']:,.{decimals}f}"
        return f"{row['currency']} {number}" if row["currency"] else number

    return pl.struct(value.alias("amount"), pl.col("currency")).map_elements(
        text, return_dtype=pl.Utf8
    )


def percent(share: str | pl.Expr) -> pl.Expr:
    """A share (0.36) as a whole percentage (36)."""
    value = pl.col(share) if isinstance(share, str) else share
    return (value * 100).round(0).cast(pl.Int64)


def fmt(template: str, **columns: pl.Expr) -> pl.Expr:
    """``fmt("CPU {cpu}%", cpu=pl.col("x").round(1))``: a description per row."""
    pieces: list[pl.Expr] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        pieces.extend([pl.lit(before), columns[name].cast(pl.Utf8).fill_null("n/a")])
    pieces.append(pl.lit(rest))
    return pl.concat_str(pieces)
