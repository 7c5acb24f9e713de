"""``cloudoptima report``: the PDF executive report of a period."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from cloudoptima.cli.base import day, end_option, main, open_workspace, start_option
from cloudoptima.report import BUILTIN_TITLES


@main.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PDF file to write.",
)
@start_option
@end_option
@click.option(
    "--sections",
    "sections",
    multiple=True,
    help=f"Section ids, comma-separated or repeated (default: all): {', '.join(BUILTIN_TITLES)}.",
)
@click.option("--currency", default=None, help="Only this billing currency (default: each one).")
@click.option("--paper", type=click.Choice(("A4", "Letter")), default="A4", show_default=True)
@click.pass_context
def report(
    ctx: click.Context,
    out: Path,
    start: datetime | None,
    end: datetime | None,
    sections: tuple[str, ...],
    currency: str | None,
    paper: str,
) -> None:
    """Write the PDF executive report (default period: the last full month of data)."""
    ws = open_workspace(ctx)
    chosen = [s for part in sections for s in part.split(",") if s.strip()] or None
    written = ws.report(
        out,
        start=day(start),
        end=day(end),
        sections=chosen,
        currency=currency,
        paper=paper,
        organisation=organisation_name(ws.root),
    )
    period = written.period.label if written.period else "no cost data"
    click.echo(f"{written.path}: {written.pages} pages, {period}")


def organisation_name(root: Path) -> str:
    """The name of the organisation whose workspace is ``root`` ('' when none is registered)."""
    from cloudoptima.auth import UserStore

    try:
        organisations = UserStore().organisations().values()
    except Exception:  # an unreadable organisations file must not stop a report
        return ""
    resolved = root.resolve()
    return next((o.name for o in organisations if Path(o.workspace).resolve() == resolved), "")
