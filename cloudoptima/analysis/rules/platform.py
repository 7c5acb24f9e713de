"""PaaS rules: App Service plans and SQL databases."""

from __future__ import annotations

import polars as pl

from cloudoptima.analysis.rules import rule
from cloudoptima.analysis.rules.context import RuleContext
from cloudoptima.analysis.rules.ownership import prop
from cloudoptima.analysis.rules.shaping import (
    az,
    fmt,
    money,
    output,
    percent,
    with_cost,
    with_metric,
)
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
            "The {sku} plan hosts no apps and costs {cost} a month.",
            sku=pl.col("sku_name"),
            cost=money("monthly_cost"),
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
    """P99 CPU and memory low (AOE), and the next smaller SKU carries the measured peak
    below 75 % (AOE's degraded threshold): otherwise the smaller plan would be the
    next finding, as a constrained one."""
    plans = ctx.resources(PLAN).filter(pl.col("site_count") > 0)
    plans = with_metric(ctx, plans, "CpuPercentage", "maximum", 0.99, "cpu_p99_percent")
    plans = with_metric(ctx, plans, "MemoryPercentage", "average", 0.99, "memory_p99_percent")
    plans = with_metric(ctx, plans, "CpuPercentage", "maximum", 1.0, "cpu_peak_percent")
    plans = with_metric(ctx, plans, "MemoryPercentage", "maximum", 1.0, "memory_peak_percent")
    plans = plans.filter(
        (pl.col("cpu_p99_percent") < ctx.setting("underused_app_service_plan.cpu_p99_percent"))
        & (
            pl.col("memory_p99_percent")
            < ctx.setting("underused_app_service_plan.memory_p99_percent")
        )
    )
    plans = _step_down(plans, "sku_name", prices.plan_step_down)
    scale = pl.struct("sku_name", "target").map_elements(
        lambda row: prices.plan_capacity_ratio(row["sku_name"], row["target"]),
        return_dtype=pl.Float64,
    )
    plans = plans.with_columns(
        (pl.max_horizontal("cpu_peak_percent", "memory_peak_percent") * scale).alias(
            "target_peak_percent"
        )
    ).filter(
        pl.col("target_peak_percent")
        < ctx.setting("underused_app_service_plan.target_peak_percent")
    )
    plans = with_cost(ctx, plans)
    return output(
        plans,
        savings=pl.col("monthly_cost") * (1 - pl.col("price_ratio")),
        description=fmt(
            "P99 CPU was {cpu}% and P99 memory {mem}% across {sites} app(s): {target} carries them at "
            "{ratio}% of the price of {sku}, its busiest hour reaching {peak}% of the smaller plan.",
            cpu=pl.col("cpu_p99_percent").round(1),
            mem=pl.col("memory_p99_percent").round(1),
            sites=pl.col("site_count"),
            target=pl.col("target"),
            sku=pl.col("sku_name"),
            ratio=percent("price_ratio"),
            peak=pl.col("target_peak_percent").round(1),
        ),
        evidence=[
            "sku_name",
            "site_count",
            "cpu_p99_percent",
            "memory_p99_percent",
            "cpu_peak_percent",
            "memory_peak_percent",
            "target_peak_percent",
            "price_ratio",
        ],
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
    """DTU database whose P99 DTU use stays under 40 % (AOE UnderusedSqlDatabases), when
    the next smaller objective carries its peak below 75 % (AOE PerfConstrainedSqlDatabases)."""
    dbs = ctx.resources(SQL_DB).with_columns(
        prop("$.currentServiceObjectiveName", "$.requestedServiceObjectiveName").alias(
            "service_objective"
        )
    )
    dbs = with_metric(ctx, dbs, "dtu_consumption_percent", "maximum", 0.99, "dtu_max_p99_percent")
    dbs = with_metric(ctx, dbs, "dtu_consumption_percent", "maximum", 1.0, "dtu_peak_percent")
    dbs = dbs.filter(
        pl.col("dtu_max_p99_percent") < ctx.setting("idle_sql_database.dtu_p99_percent")
    )
    dbs = _step_down(dbs, "service_objective", prices.sql_step_down)
    dtus = {name: float(dtu) for name, _, dtu, _ in prices.SQL_DTU_LADDER}
    dbs = dbs.with_columns(
        (
            pl.col("dtu_peak_percent")
            * pl.col("service_objective").replace_strict(dtus, default=None)
            / pl.col("target").replace_strict(dtus, default=None)
        ).alias("target_peak_percent")
    ).filter(pl.col("target_peak_percent") < ctx.setting("idle_sql_database.target_peak_percent"))
    dbs = with_cost(ctx, dbs)
    return output(
        dbs,
        savings=pl.col("monthly_cost") * (1 - pl.col("price_ratio")),
        description=fmt(
            "P99 of hourly maximum DTU use was {dtu}% on {objective}: {target} has the capacity at "
            "{ratio}% of the price, its busiest hour reaching {peak}% of the smaller objective.",
            dtu=pl.col("dtu_max_p99_percent").round(1),
            objective=pl.col("service_objective"),
            target=pl.col("target"),
            ratio=percent("price_ratio"),
            peak=pl.col("target_peak_percent").round(1),
        ),
        evidence=[
            "service_objective",
            "dtu_max_p99_percent",
            "dtu_peak_percent",
            "target_peak_percent",
            "price_ratio",
        ],
        target=pl.col("target"),
        remediation=pl.concat_str(
            az("az sql db update --ids {id} --service-objective "), pl.col("target")
        ),
    )


def _step_down(frame: pl.DataFrame, column: str, step: object) -> pl.DataFrame:
    """Add target and price_ratio from a pricing ladder; drop rows already at the bottom."""
    steps = [step(value) if value else None for value in frame.get_column(column).to_list()]  # type: ignore[operator]
    return frame.with_columns(
        pl.Series("target", [s[0] if s else None for s in steps], dtype=pl.Utf8),
        pl.Series("price_ratio", [s[1] if s else None for s in steps], dtype=pl.Float64),
    ).filter(pl.col("target").is_not_null())
