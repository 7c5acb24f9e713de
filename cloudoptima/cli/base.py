"""The ``cloudoptima`` group and what its commands share: options, workspace, errors.

User errors print one sentence on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from cloudoptima.cli.output import FORMATS
from cloudoptima.errors import CloudOptimaError
from cloudoptima.workspace import Workspace

# Shared by every command that takes a date range or an output format.
start_option = click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (inclusive)."
)
end_option = click.option(
    "--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (inclusive)."
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
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


def open_workspace(ctx: click.Context, *, create: bool = False) -> Workspace:
    """The workspace of ``--workspace``; only commands that write data may create one."""
    root = ctx.find_root().obj
    return Workspace.open(root, create=create)


def day(value: datetime | None) -> date | None:
    """A ``click.DateTime`` option value as a date."""
    return value.date() if value else None
