"""Helpers the rule modules share: joining cost, shaping output, az commands."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from cloudoptima.analysis.rules.context import RuleContext

PERCENTILE = {"p95": 0.95, "p99": 0.99, "max": 1.0}


def with_cost(ctx: RuleContext, frame: pl.DataFrame) -> pl.DataFrame:
    """Add each resource's monthly real cost (0 when it had no cost in the window)."""
    cost = ctx.monthly_cost().select("resource_id", "monthly_cost")
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
    """Shape a rule's matches into the catalogue's output columns."""
    conf = pl.lit(confidence) if isinstance(confidence, str) else confidence
    return frame.select(
        pl.col("resource_id"),
        savings.cast(pl.Float64).round(6).alias("monthly_savings"),
        description.alias("description"),
        pack_evidence(frame, evidence).alias("evidence"),
        (target if target is not None else pl.lit(None, dtype=pl.Utf8)).alias("target"),
        remediation.alias("remediation"),
        conf.alias("confidence"),
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
