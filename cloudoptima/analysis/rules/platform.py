"""PaaS rules: App Service plans and SQL databases."""

from __future__ import annotations

import json

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.shaping import az, fmt, output, with_cost, with_metric
from cloudoptima.reference import prices

PLAN = "microsoft.web/serverfarms"
SQL_DB = "microsoft.sql/servers/databases"


@rule(
    "empty_app_service_plan",
    "Delete an App Service plan with no apps",
    "Web",
    impact="medium",
    effort="low",
    risk="low",
)
def empty_app_service_plan(ctx: RuleContext) -> pl.DataFrame:
    """A paid plan hosting no app bills its instances for nothing (free tiers cost nothing)."""
    plans = ctx.resources(PLAN).filter(
        (pl.col("site_count") == 0) & ~pl.col("sku_tier").is_in(list(prices.FREE_PLAN_TIERS))
    )
    plans = with_cost(ctx, plans)
    return output(
        plans,
        savings=pl.col("monthly_cost"),
        description=fmt(
            "The {sku} plan hosts no apps and cost {cost} in the last 30 days.",
            sku=pl.col("sku_name"),
            cost=pl.col("monthly_cost").round(2),
        ),
        evidence=["sku_name", "sku_tier", "site_count"],
        remediation=az("az appservice plan delete --ids {id} --yes"),
    )


@rule(
    "underused_app_service_plan",
    "Scale down an underused App Service plan",
    "Web",
    impact="medium",
    effort="medium",
    risk="medium",
)
def underused_app_service_plan(ctx: RuleContext) -> pl.DataFrame:
    """P99 CPU and memory low enough that the next smaller SKU carries the apps (AOE)."""
    plans = ctx.resources(PLAN).filter(pl.col("site_count") > 0)
    plans = with_metric(ctx, plans, "CpuPercentage", "maximum", 0.99, "cpu_p99_percent")
    plans = with_metric(ctx, plans, "MemoryPercentage", "average", 0.99, "memory_p99_percent")
    plans = plans.filter(
        (pl.col("cpu_p99_percent") < ctx.setting("underused_app_service_plan.cpu_p99_percent"))
        & (
            pl.col("memory_p99_percent")
            < ctx.setting("underused_app_service_plan.memory_p99_percent")
        )
    )
    plans = _step_down(plans, "sku_name", prices.plan_step_down)
    plans = with_cost(ctx, plans)
    return output(
        plans,
        savings=pl.col("monthly_cost") * (1 - pl.col("price_ratio")),
        description=fmt(
            "P99 CPU was {cpu}% and P99 memory {mem}% across {sites} app(s): {target} carries them at "
            "{ratio}% of the price of {sku}.",
            cpu=pl.col("cpu_p99_percent").round(1),
            mem=pl.col("memory_p99_percent").round(1),
            sites=pl.col("site_count"),
            target=pl.col("target"),
            sku=pl.col("sku_name"),
            ratio=(pl.col("price_ratio") * 100).round(0),
        ),
        evidence=["sku_name", "site_count", "cpu_p99_percent", "memory_p99_percent", "price_ratio"],
        target=pl.col("target"),
        remediation=pl.concat_str(
            az("az appservice plan update --ids {id} --sku "), pl.col("target")
        ),
    )


@rule(
    "idle_sql_database",
    "Scale down an idle SQL database",
    "Databases",
    impact="medium",
    effort="low",
    risk="medium",
)
def idle_sql_database(ctx: RuleContext) -> pl.DataFrame:
    """DTU database whose P99 DTU use stays under 40 % (AOE UnderusedSqlDatabases)."""
    dbs = ctx.resources(SQL_DB).with_columns(
        pl.col("properties")
        .map_elements(_service_objective, return_dtype=pl.Utf8)
        .alias("service_objective")
    )
    dbs = with_metric(ctx, dbs, "dtu_consumption_percent", "maximum", 0.99, "dtu_max_p99_percent")
    dbs = dbs.filter(
        pl.col("dtu_max_p99_percent") < ctx.setting("idle_sql_database.dtu_p99_percent")
    )
    dbs = _step_down(dbs, "service_objective", prices.sql_step_down)
    dbs = with_cost(ctx, dbs)
    return output(
        dbs,
        savings=pl.col("monthly_cost") * (1 - pl.col("price_ratio")),
        description=fmt(
            "P99 of hourly maximum DTU use was {dtu}% on {objective}: {target} has the capacity at "
            "{ratio}% of the price.",
            dtu=pl.col("dtu_max_p99_percent").round(1),
            objective=pl.col("service_objective"),
            target=pl.col("target"),
            ratio=(pl.col("price_ratio") * 100).round(0),
        ),
        evidence=["service_objective", "dtu_max_p99_percent", "price_ratio"],
        target=pl.col("target"),
        remediation=pl.concat_str(
            az("az sql db update --ids {id} --service-objective "), pl.col("target")
        ),
    )


def _service_objective(properties: str | None) -> str | None:
    data = json.loads(properties) if properties else {}
    value = data.get("currentServiceObjectiveName") or data.get("requestedServiceObjectiveName")
    return str(value) if value else None


def _step_down(frame: pl.DataFrame, column: str, step: object) -> pl.DataFrame:
    """Add target and price_ratio from a pricing ladder; drop rows already at the bottom."""
    steps = [step(value) if value else None for value in frame.get_column(column).to_list()]  # type: ignore[operator]
    return frame.with_columns(
        pl.Series("target", [s[0] if s else None for s in steps], dtype=pl.Utf8),
        pl.Series("price_ratio", [s[1] if s else None for s in steps], dtype=pl.Float64),
    ).filter(pl.col("target").is_not_null())
