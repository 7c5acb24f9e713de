"""Commands that bring data in and show it: demo, ingest, imports, costs."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudoptima.analysis.costs import GRAINS
from cloudoptima.analysis.dimensions import COST_METRICS
from cloudoptima.cli.base import day, end_option, format_option, main, open_workspace, start_option
from cloudoptima.cli.output import render
from cloudoptima.errors import CloudOptimaError
from cloudoptima.ingest.detect import KIND_CHOICES

if TYPE_CHECKING:
    from cloudoptima.ingest.importer import ImportResult

MONEY = ("BilledCost", "EffectiveCost")
IMPORT_TABLE = (
    "import_id",
    "status",
    "kind",
    "format",
    "dataset",
    "rows",
    "first_day",
    "last_day",
    "file",
    "replaced",
    "overlapping",
    "error",
)


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
    ws = open_workspace(ctx, create=True)
    results = ws.build_demo(seed=seed, end=day(end))
    report(results)
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
    ws = open_workspace(ctx, create=True)
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
    report(results)
    if any(r.status == "failed" for r in results):
        sys.exit(1)


def report(results: list[ImportResult]) -> None:
    """One line per import: loaded/skipped with its message, FAILED with its error.

    An import that overlaps an earlier one without replacing it gets a WARNING line
    (on stderr, like failures): both are kept, and the user must know.
    """
    for result in results:
        name = Path(result.file).name
        if result.status == "failed":
            click.echo(f"FAILED  {result.error}", err=True)
            continue
        click.echo(f"{result.status:<7} {name}: {result.message}")
        if result.warning:
            click.echo(f"WARNING {name}: {result.warning}", err=True)


@main.command()
@format_option
@click.pass_context
def imports(ctx: click.Context, fmt: str) -> None:
    """Show the import log, newest first: what each import holds, replaced and overlaps."""
    frame = open_workspace(ctx).imports()
    if fmt == "table":
        frame = frame.select(IMPORT_TABLE)
    click.echo(render(frame, fmt))


@main.command()
@click.option(
    "--by", "by", default="", help="Group columns, comma separated: FOCUS names or tag:KEY."
)
@start_option
@end_option
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="DIM=VALUE",
    help="Keep rows whose dimension (a FOCUS column or tag:KEY) has this value; repeat it: "
    "the same dimension twice keeps either value, different ones must all match.",
)
@click.option(
    "--grain",
    type=click.Choice(GRAINS),
    default=None,
    help="Add a period column: one row per period.",
)
@click.option(
    "--metric",
    type=click.Choice(COST_METRICS),
    default=None,
    help="One cost column (default: both, billed and effective).",
)
@click.option(
    "--inherit-tags",
    is_flag=True,
    help="A row without a tag takes it from its resource group, then its subscription.",
)
@format_option
@click.pass_context
def costs(
    ctx: click.Context,
    by: str,
    start: datetime | None,
    end: datetime | None,
    where: tuple[str, ...],
    grain: str | None,
    metric: str | None,
    inherit_tags: bool,
    fmt: str,
) -> None:
    """Billed and effective cost by any dimension, per billing currency."""
    frame = open_workspace(ctx).costs(
        by,
        start=day(start),
        end=day(end),
        metric=metric,
        grain=grain,
        filters=parse_where(where),
        inherit_tags=inherit_tags,
        # JSON and CSV say how much of a figure is the other metric standing in for it
        with_fallback=fmt != "table",
    )
    click.echo(render(frame, fmt, money=MONEY))
    if fmt == "table":
        gaps = open_workspace(ctx).cost_fallback(start=day(start), end=day(end))
        if gaps.height:
            days = int(gaps["days"].sum())
            click.echo(
                f"Note: EffectiveCost is missing on {days} subscription-day(s) (no amortized "
                "export covers them): BilledCost stands in for it there.",
                err=True,
            )


def parse_where(conditions: tuple[str, ...]) -> dict[str, list[str]]:
    """``("ServiceName=Storage", "tag:env=prod", "tag:env=dev")`` -> filters for costs()."""
    filters: dict[str, list[str]] = {}
    for condition in conditions:
        dimension, sep, value = condition.partition("=")
        if not sep or not dimension.strip():
            raise CloudOptimaError(
                f"--where needs DIMENSION=VALUE, such as ServiceName=Storage or tag:env=prod; "
                f"got '{condition}'"
            )
        filters.setdefault(dimension.strip(), []).append(value.strip())
    return filters
