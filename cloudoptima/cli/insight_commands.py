"""Commands for what the app's Rate optimization and Tags and showback pages show.

``rate-optimization`` gives utilization, coverage, unused commitment, savings and the
effective savings rate per month; ``tag-coverage`` the spend without each required
tag; ``showback`` the cost per value of a tag with its "(unallocated)" rest.
"""

from __future__ import annotations

import json
from datetime import datetime

import click
import polars as pl

from cloudoptima.analysis.dimensions import COST_METRICS
from cloudoptima.cli.base import day, end_option, format_option, main, open_workspace, start_option
from cloudoptima.cli.output import jsonable_row, render

RATE_MONEY = (
    "used_cost",
    "unused_cost",
    "covered_cost",
    "on_demand_cost",
    "negotiated_savings",
    "commitment_savings",
    "total_savings",
)
RATE_TABLE = (
    "period",
    "BillingCurrency",
    "utilization",
    "coverage",
    "unused_cost",
    "negotiated_savings",
    "commitment_savings",
    "total_savings",
    "effective_savings_rate",
)
metric_option = click.option(
    "--metric",
    type=click.Choice(COST_METRICS),
    default="EffectiveCost",
    show_default=True,
)
inherit_option = click.option(
    "--inherit-tags",
    is_flag=True,
    help="A row without a tag takes it from its resource group, then its subscription.",
)
currency_option = click.option("--currency", default=None, help="Only this billing currency.")


@main.command("rate-optimization")
@start_option
@end_option
@format_option
@click.pass_context
def rate_optimization(
    ctx: click.Context, start: datetime | None, end: datetime | None, fmt: str
) -> None:
    """Commitment utilization and coverage, unused commitment, savings and ESR per month."""
    ws = open_workspace(ctx)
    months = ws.rates_by_month(start=day(start), end=day(end))
    if fmt == "json":
        rates = ws.rate_optimization(start=day(start), end=day(end))
        document = {
            "by_month": _rows(months),
            "commitments": _rows(rates.utilization),
            "savings": _rows(rates.savings),
        }
        click.echo(json.dumps(document, indent=2))
        return
    if fmt == "table":
        shares = ("utilization", "coverage", "effective_savings_rate")
        months = months.select(RATE_TABLE).with_columns(_percent(*shares))
        months = months.select([f"{c} %" if c in shares else c for c in RATE_TABLE])
        click.echo("Amounts in each row's billing currency.")
    click.echo(render(months, fmt, money=RATE_MONEY))


@main.command("tag-coverage")
@click.option(
    "--tags",
    default=None,
    help="Required tag keys, comma separated (default: the workspace's required_tags).",
)
@start_option
@end_option
@metric_option
@inherit_option
@currency_option
@format_option
@click.pass_context
def tag_coverage(
    ctx: click.Context,
    tags: str | None,
    start: datetime | None,
    end: datetime | None,
    metric: str,
    inherit_tags: bool,
    currency: str | None,
    fmt: str,
) -> None:
    """Spend without each required tag, and without at least one of them."""
    frame = open_workspace(ctx).tag_coverage(
        [tags] if tags else None,
        start=day(start),
        end=day(end),
        metric=metric,
        inherit_tags=inherit_tags,
        currency=currency,
    )
    if fmt == "table":
        frame = frame.with_columns(_percent("untagged_share")).drop("untagged_share")
    click.echo(render(frame, fmt, money=("cost", "untagged_cost")))


@main.command()
@click.argument("tag_key")
@start_option
@end_option
@metric_option
@inherit_option
@currency_option
@format_option
@click.pass_context
def showback(
    ctx: click.Context,
    tag_key: str,
    start: datetime | None,
    end: datetime | None,
    metric: str,
    inherit_tags: bool,
    currency: str | None,
    fmt: str,
) -> None:
    """Cost per value of one tag, with "(unallocated)": rows add up to the total."""
    frame = open_workspace(ctx).showback(
        tag_key,
        start=day(start),
        end=day(end),
        metric=metric,
        inherit_tags=inherit_tags,
        currency=currency,
    )
    if fmt == "table":
        frame = frame.with_columns(_percent("share")).drop("share")
    click.echo(render(frame, fmt, money=("cost",)))


def _percent(*columns: str) -> list[pl.Expr]:
    """Ratio columns as percentages, named so: ``share`` -> ``share %``."""
    return [(pl.col(c) * 100).alias(f"{c} %") for c in columns]


def _rows(frame: pl.DataFrame) -> list[dict[str, object]]:
    return [jsonable_row(row) for row in frame.iter_rows(named=True)]
