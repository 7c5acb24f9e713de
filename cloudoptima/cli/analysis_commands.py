"""Commands over the analyses: findings and their status, anomalies, forecasts."""

from __future__ import annotations

from datetime import datetime

import click
import polars as pl

from cloudoptima.analysis.findings import STATUSES
from cloudoptima.cli.base import day, end_option, format_option, main, open_workspace, start_option
from cloudoptima.cli.output import render

FINDING_TABLE = (
    "finding_id",
    "rule",
    "resource_name",
    "monthly_savings",
    "BillingCurrency",
    "status",
    "target",
)
# The JSON contract: these keys always, then the rest of the finding.
FINDING_KEYS = (
    "finding_id",
    "rule",
    "resource_id",
    "title",
    "monthly_savings",
    "BillingCurrency",
    "status",
)


@main.group(invoke_without_command=True)
@click.option("--rule", default=None, help="Only this rule id, e.g. idle_vm.")
@click.option("--status", default=None, help="open, dismissed, snoozed or resolved.")
@format_option
@click.pass_context
def findings(ctx: click.Context, rule: str | None, status: str | None, fmt: str) -> None:
    """Recommendations with real savings; `findings set-status` changes one."""
    if ctx.invoked_subcommand is not None:
        return
    frame = open_workspace(ctx).findings(rule=rule, status=status)
    if fmt == "table":
        frame = frame.select(FINDING_TABLE)
    else:
        frame = frame.select(*FINDING_KEYS, *(c for c in frame.columns if c not in FINDING_KEYS))
    click.echo(render(frame, fmt, money=("monthly_savings",)))


@findings.command("set-status")
@click.argument("finding_id")
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--reason", default=None, help="Why (required to dismiss).")
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Snooze until this day."
)
@click.pass_context
def set_status(
    ctx: click.Context, finding_id: str, status: str, reason: str | None, until: datetime | None
) -> None:
    """Dismiss, snooze, resolve or reopen a finding."""
    row = open_workspace(ctx).set_finding_status(
        finding_id, status, reason=reason, until=day(until)
    )
    reason_text = f" ({row['status_reason']})" if row["status_reason"] else ""
    click.echo(f"{row['finding_id']}: {row['status']}{reason_text}")


@main.group(invoke_without_command=True)
@click.option(
    "--by",
    "by",
    default="ServiceName,SubAccountId",
    show_default=True,
    help="Dimensions analysed, each separately; flags sharing resources are one event.",
)
@start_option
@end_option
@click.option("--status", default=None, help="open, acknowledged or dismissed.")
@format_option
@click.pass_context
def anomalies(
    ctx: click.Context,
    by: str,
    start: datetime | None,
    end: datetime | None,
    status: str | None,
    fmt: str,
) -> None:
    """Daily cost spikes, one row per event, with contributing resources; `anomalies
    set-status` acknowledges or dismisses one."""
    if ctx.invoked_subcommand is not None:
        return
    dims = tuple(b.strip() for b in by.split(",") if b.strip())
    frame = open_workspace(ctx).anomalies(by=dims, start=day(start), end=day(end), status=status)
    if fmt == "table":
        names = pl.col("contributors").list.eval(pl.element().struct.field("name"))
        frame = frame.with_columns(names.list.join(", ").alias("contributors")).select(
            "anomaly_id",
            "date",
            "title",
            "BillingCurrency",
            "expected",
            "actual",
            "score",
            "status",
            "contributors",
        )
    click.echo(render(frame, fmt, money=("expected", "actual")))


@anomalies.command("set-status")
@click.argument("anomaly_id")
@click.argument("status", type=click.Choice(("open", "acknowledged", "dismissed")))
@click.option("--reason", default=None, help="Why (required to dismiss).")
@click.pass_context
def anomaly_set_status(
    ctx: click.Context, anomaly_id: str, status: str, reason: str | None
) -> None:
    """Acknowledge, dismiss or reopen an anomaly."""
    open_workspace(ctx).set_anomaly_status(anomaly_id, status, reason=reason)
    click.echo(f"{anomaly_id}: {status}" + (f" ({reason})" if reason else ""))


@main.command()
@click.option(
    "--by", "by", default=None, help="One dimension (ServiceName, SubAccountName, tag:KEY...)."
)
@click.option(
    "--horizon",
    type=click.IntRange(1, 730),
    default=None,
    help="Days (default: to the end of next month).",
)
@click.option(
    "--budget", type=float, default=None, help="Monthly budget per series, in its billing currency."
)
@click.option(
    "--top", type=int, default=5, show_default=True, help="Series per dimension (by cost)."
)
@click.option(
    "--metric",
    type=click.Choice(("EffectiveCost", "BilledCost")),
    default="EffectiveCost",
    show_default=True,
)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@click.pass_context
def forecast(
    ctx: click.Context,
    by: str | None,
    horizon: int | None,
    budget: float | None,
    top: int,
    metric: str,
    fmt: str,
) -> None:
    """Daily cost forecast with 80/95% intervals, month-end projection and backtest accuracy."""
    from cloudoptima.cli.forecast_output import forecast_json, forecast_table

    result = open_workspace(ctx).forecast(
        by=by, horizon=horizon, budget=budget, top=top, metric=metric
    )
    click.echo(forecast_json(result) if fmt == "json" else forecast_table(result))
