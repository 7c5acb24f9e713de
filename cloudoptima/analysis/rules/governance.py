"""Governance rules: cost that cannot be allocated because required tags are missing."""

from __future__ import annotations

import json

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.shaping import fmt, money, output


@rule(
    "untagged_cost",
    "Tag a resource that costs money",
    "Governance",
    impact="low",
    effort="low",
    risk="low",
)
def untagged_cost(ctx: RuleContext) -> pl.DataFrame:
    """Resources with cost in the window that miss any required tag (keys match case-insensitively)."""
    required = [str(t) for t in ctx.setting("required_tags")]
    if not required:
        return output(
            pl.DataFrame(schema={"resource_id": pl.Utf8}),
            savings=pl.lit(0.0),
            description=pl.lit(""),
            evidence=[],
            remediation=pl.lit(""),
        )
    costed = ctx.monthly_cost().filter(pl.col("monthly_cost") > 0)
    tags = _current_tags(ctx)
    frame = (
        costed.join(tags, on="resource_id", how="left")
        .with_columns(
            pl.col("tags")
            .map_elements(lambda t: _missing(t, required), return_dtype=pl.List(pl.Utf8))
            .alias("missing_tags")
        )
        .filter(pl.col("missing_tags").list.len() > 0)
    )
    return output(
        frame,
        savings=pl.lit(0.0),
        description=fmt(
            "The resource costs {cost} a month but has no {missing} tag, so showback cannot "
            "allocate it. Add the tag(s).",
            cost=money("monthly_cost"),
            missing=pl.col("missing_tags").list.join(", "),
        ),
        evidence=["missing_tags", "monthly_cost", "cost_basis"],
        remediation=pl.concat_str(
            pl.lit("az tag update --resource-id "),
            pl.col("resource_id"),
            pl.lit(" --operation merge --tags "),
            pl.col("missing_tags").list.eval(pl.element() + pl.lit("=<value>")).list.join(" "),
        ),
    )


def _current_tags(ctx: RuleContext) -> pl.DataFrame:
    """Inventory tags where the resource is known, else the tags on its latest cost row."""
    inventory = ctx.resources().select("resource_id", pl.col("tags").alias("inventory_tags"))
    billed = ctx.reader.sql(
        """SELECT ResourceId AS resource_id, arg_max(Tags::VARCHAR, ChargePeriodStart) AS cost_tags
           FROM costs WHERE ResourceId IS NOT NULL GROUP BY ResourceId"""
    )
    return billed.join(inventory, on="resource_id", how="left").select(
        "resource_id", pl.coalesce("inventory_tags", "cost_tags").alias("tags")
    )


def _missing(tags: str | None, required: list[str]) -> list[str]:
    present = {
        k.strip().lower()
        for k, v in (json.loads(tags) if tags else {}).items()
        if v not in (None, "")
    }
    return [key for key in required if key.strip().lower() not in present]
