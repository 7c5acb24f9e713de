"""The ``cloudoptima`` command line: a thin layer over :class:`cloudoptima.Workspace`.

User errors print one sentence on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import polars as pl

from cloudoptima.errors import CloudOptimaError
from cloudoptima.ingest.detect import KIND_CHOICES
from cloudoptima.output import FORMATS, render
from cloudoptima.workspace import Workspace

MONEY = ("BilledCost", "EffectiveCost")
# Shared by every command that takes a date range.
start_option = click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (inclusive)."
)
end_option = click.option(
    "--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (inclusive)."
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CloudOptimaError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.option(
    "--workspace",
    "workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Workspace folder (default: $CLOUDOPTIMA_WORKSPACE or data/workspace).",
)
@click.pass_context
def main(ctx: click.Context, workspace: Path | None) -> None:
    """FinOps analytics for Azure: import exports, explore costs."""
    ctx.obj = workspace


def _open(ctx: click.Context) -> Workspace:
    return Workspace.open(ctx.obj)


@main.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same estate.")
@click.option(
    "--end",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day of cost data (default: yesterday).",
)
@click.pass_context
def demo(ctx: click.Context, seed: int, end: datetime | None) -> None:
    """Build the demo estate and import it through the normal ingest path."""
    ws = _open(ctx)
    results = ws.build_demo(seed=seed, end=end.date() if end else None)
    _report(results)
    click.echo(f"demo workspace ready at {ws.root}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(KIND_CHOICES),
    default=None,
    help="Skip detection: the kind of every input.",
)
@click.option("--currency", default=None, help="Billing currency for exports that carry none.")
@click.pass_context
def ingest(
    ctx: click.Context, paths: tuple[Path, ...], kind: str | None, currency: str | None
) -> None:
    """Import cost exports, inventory and metrics files or export folders."""
    ws = _open(ctx)
    bar: Any
    with click.progressbar(
        length=1, label="importing", file=sys.stderr, item_show_func=lambda p: p.name if p else ""
    ) as bar:

        def progress(done: int, total: int, path: Path) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos, path)

        results = ws.ingest(
            paths, kind=kind, currency=currency, progress=progress, progress_bar=sys.stdout.isatty()
        )
    _report(results)
    if any(r.status == "failed" for r in results):
        sys.exit(1)


def _report(results: list[Any]) -> None:
    for result in results:
        name = Path(result.file).name
        if result.status == "failed":
            click.echo(f"FAILED  {result.error}", err=True)
        else:
            click.echo(f"{result.status:<7} {name}: {result.message}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def imports(ctx: click.Context, fmt: str) -> None:
    """Show the import log, newest first."""
    frame = _open(ctx).imports()
    if fmt == "table":
        frame = frame.select(
            "import_id",
            "status",
            "kind",
            "format",
            "dataset",
            "rows",
            "billing_period_start",
            "file",
            "error",
        )
    click.echo(render(frame, fmt))


@main.command()
@click.option(
    "--by", "by", default="", help="Group columns, comma separated: FOCUS names or tag:KEY."
)
@start_option
@end_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def costs(
    ctx: click.Context, by: str, start: datetime | None, end: datetime | None, fmt: str
) -> None:
    """Billed and effective cost by any dimension, per billing currency."""
    frame = _open(ctx).costs(by, start=_day(start), end=_day(end))
    click.echo(render(frame, fmt, money=MONEY))


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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def findings(ctx: click.Context, rule: str | None, status: str | None, fmt: str) -> None:
    """Recommendations with real savings; `findings set-status` changes one."""
    if ctx.invoked_subcommand is not None:
        return
    frame = _open(ctx).findings(rule=rule, status=status)
    if fmt == "table":
        frame = frame.select(FINDING_TABLE)
    else:
        frame = frame.select(*FINDING_KEYS, *(c for c in frame.columns if c not in FINDING_KEYS))
    click.echo(render(frame, fmt, money=("monthly_savings",)))


@findings.command("set-status")
@click.argument("finding_id")
@click.argument("status", type=click.Choice(("open", "dismissed", "snoozed", "resolved")))
@click.option("--reason", default=None, help="Why (required to dismiss).")
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Snooze until this day."
)
@click.pass_context
def set_status(
    ctx: click.Context, finding_id: str, status: str, reason: str | None, until: datetime | None
) -> None:
    """Dismiss, snooze, resolve or reopen a finding."""
    ws = _open(ctx)
    row = ws.set_finding_status(finding_id, status, reason=reason, until=_day(until))
    click.echo(
        f"{row['finding_id']}: {row['status']}"
        + (f" ({row['status_reason']})" if row["status_reason"] else "")
    )


@main.command()
@click.option(
    "--by",
    "by",
    default="ServiceName,SubAccountId",
    show_default=True,
    help="Dimensions analysed, each separately.",
)
@start_option
@end_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def anomalies(
    ctx: click.Context, by: str, start: datetime | None, end: datetime | None, fmt: str
) -> None:
    """Daily cost spikes, robust to weekly seasonality, with contributing resources."""
    frame = _open(ctx).anomalies(by=tuple(b.strip() for b in by.split(",") if b.strip()),
                                 start=_day(start), end=_day(end))  # fmt: skip
    if fmt == "table":
        frame = frame.with_columns(
            pl.col("contributors").list.eval(pl.element().struct.field("resource_id").str.split("/").list.last())
            .list.join(", ").alias("contributors")
        ).select("date", "dimension", "value", "BillingCurrency", "expected", "actual", "score", "contributors")  # fmt: skip
    click.echo(render(frame, fmt, money=("expected", "actual")))


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
def forecast(ctx: click.Context, by: str | None, horizon: int | None, budget: float | None, top: int,
             metric: str, fmt: str) -> None:  # fmt: skip
    """Daily cost forecast with 80/95% intervals, month-end projection and backtest accuracy."""
    from cloudoptima.forecast_output import forecast_json, forecast_table

    result = _open(ctx).forecast(by=by, horizon=horizon, budget=budget, top=top, metric=metric)
    click.echo(forecast_json(result) if fmt == "json" else forecast_table(result))


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@main.group()
def users() -> None:
    """Manage who may log in to the app, and their role in each organisation."""


def _store() -> Any:
    from cloudoptima.auth import UserStore

    return UserStore()


@users.command("add")
@click.argument("username")
@click.option("--org", default="default", show_default=True, help="Organisation the user joins.")
@click.option(
    "--role", type=click.Choice(("admin", "analyst", "viewer")), default="viewer", show_default=True
)
@click.option("--name", default=None, help="Display name.")
@click.option("--email", default=None)
def users_add(username: str, org: str, role: str, name: str | None, email: str | None) -> None:
    """Create a user with a random password, shown once."""
    password = _store().add_user(username, org=org, role=role, name=name, email=email)
    click.echo(f"created {username} ({role} of {org}); password, shown once: {password}")


@users.command("list")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def users_list(fmt: str) -> None:
    """List users, their organisations and roles, and lockouts."""
    from cloudoptima.auth import MAX_LOGIN_ATTEMPTS

    rows = [
        {"username": u, "name": v.get("name"), "email": v.get("email"),
         "organisations": ", ".join(f"{o}:{r}" for o, r in sorted(v.get("organisations", {}).items())),
         "locked": int(v.get("failed_login_attempts") or 0) >= MAX_LOGIN_ATTEMPTS}
        for u, v in sorted(_store().users().items())
    ]  # fmt: skip
    click.echo(render(pl.DataFrame(rows), fmt) if rows else "(no users yet)")


@users.command("remove")
@click.argument("username")
def users_remove(username: str) -> None:
    """Delete a user (never the last admin of an organisation)."""
    _store().remove_user(username)
    click.echo(f"removed {username}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(("admin", "analyst", "viewer")))
@click.option("--org", default=None, help="Organisation (needed when the user has several).")
def users_set_role(username: str, role: str, org: str | None) -> None:
    """Give a user a role in an organisation (adds them to it)."""
    _store().set_role(username, role, org=org)
    click.echo(f"{username} is now {role}" + (f" of {org}" if org else ""))


@users.command("reset-password")
@click.argument("username")
def users_reset_password(username: str) -> None:
    """Set a new random password (shown once) and lift a lockout."""
    password = _store().reset_password(username)
    click.echo(f"new password for {username}, shown once: {password}")


@main.group()
def orgs() -> None:
    """Organisations: each has its own workspace."""


@orgs.command("add")
@click.argument("org")
@click.option(
    "--workspace", "folder", required=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option("--name", default=None, help="Display name.")
def orgs_add(org: str, folder: Path, name: str | None) -> None:
    """Register an organisation and the workspace folder that holds its data."""
    created = _store().add_organisation(org, folder, name)
    Workspace.open(created.workspace)
    click.echo(f"organisation {created.id} uses {created.workspace}")


@orgs.command("list")
def orgs_list() -> None:
    """List organisations and their workspaces."""
    rows = [
        {"org": o.id, "name": o.name, "workspace": str(o.workspace)}
        for o in _store().organisations().values()
    ]
    click.echo(render(pl.DataFrame(rows), "table") if rows else "(no organisations yet)")
