"""Live Azure from the command line: ``connections add|list|test|remove`` and ``sync``.

A client secret is never an option value (it would land in the shell's history): it
is read from the environment variable ``--client-secret-env`` names, or from
standard input with ``--client-secret-stdin``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
import polars as pl

from cloudoptima.cli.base import main, open_workspace
from cloudoptima.cli.output import render
from cloudoptima.errors import CloudOptimaError

CLOUDS = ("public", "usgov", "china")


@main.group()
def connections() -> None:
    """Azure connections of the workspace's organisation (secrets stored encrypted)."""


@connections.command("add")
@click.argument("name")
@click.option("--tenant-id", default=None, help="Directory (tenant) id or domain.")
@click.option("--client-id", default=None, help="Application (client) id of the service principal.")
@click.option(
    "--client-secret-env",
    "secret_env",
    default=None,
    metavar="VAR",
    help="Read the client secret from this environment variable.",
)
@click.option(
    "--client-secret-stdin",
    "secret_stdin",
    is_flag=True,
    help="Read the client secret from standard input.",
)
@click.option(
    "--default-credential",
    is_flag=True,
    help="Sign in with the default chain: environment, managed identity, az login.",
)
@click.option(
    "--subscription",
    "subscriptions",
    multiple=True,
    metavar="ID",
    help="A subscription to sync (repeat; default: every one the identity can see).",
)
@click.option(
    "--cloud", type=click.Choice(CLOUDS), default=None, help="Azure cloud (default public)."
)
@click.option(
    "--arm-endpoint", default=None, metavar="URL", help="Custom Resource Manager endpoint."
)
@click.option("--authority-host", default=None, metavar="URL", help="Custom token authority.")
@click.option(
    "--ca-bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PEM file of the CA a TLS-inspecting proxy signs with.",
)
@click.pass_context
def connections_add(
    ctx: click.Context,
    name: str,
    tenant_id: str | None,
    client_id: str | None,
    secret_env: str | None,
    secret_stdin: bool,
    default_credential: bool,
    subscriptions: tuple[str, ...],
    cloud: str | None,
    arm_endpoint: str | None,
    authority_host: str | None,
    ca_bundle: Path | None,
) -> None:
    """Add an Azure connection: a service principal or the default credential chain."""
    from cloudoptima.azure.connections import new_connection

    ways = {
        "--client-secret-env": secret_env is not None,
        "--client-secret-stdin": secret_stdin,
        "--default-credential": default_credential,
    }
    chosen = [option for option, given in ways.items() if given]
    if len(chosen) != 1:
        raise CloudOptimaError(
            "give exactly one of --client-secret-env VAR, --client-secret-stdin or "
            "--default-credential" + (f" (not {' and '.join(chosen)})" if chosen else "")
        )
    connection = new_connection(
        name,
        tenant_id=tenant_id,
        client_id=client_id,
        default_credential=default_credential,
        subscriptions=subscriptions,
        cloud=cloud,
        arm_endpoint=arm_endpoint,
        authority_host=authority_host,
        ca_bundle=ca_bundle,
    )
    secret = None if default_credential else _read_secret(secret_env)
    added = open_workspace(ctx).connections.add(connection, secret, by=_user())
    click.echo(
        f"added connection {added.name} ({added.describe()['sign_in']}); "
        f"check it with `cloudoptima connections test {added.name}`"
    )


def _read_secret(variable: str | None) -> str:
    if variable is not None:
        value = os.environ.get(variable, "")
        if not value.strip():
            raise CloudOptimaError(f"the environment variable {variable} is not set or empty")
        return value.strip()
    value = sys.stdin.read().strip()
    if not value:
        raise CloudOptimaError("standard input held no client secret")
    return value


def _user() -> str | None:
    return os.environ.get("USER") or os.environ.get("USERNAME")


@connections.command("list")
@click.pass_context
def connections_list(ctx: click.Context) -> None:
    """List the connections (never their secrets)."""
    found = open_workspace(ctx).connections.all()
    if not found:
        click.echo("(no Azure connections yet; add one with `cloudoptima connections add`)")
        return
    click.echo(render(pl.DataFrame([c.describe() for c in found]), "table"))


@connections.command("test")
@click.argument("name")
@click.pass_context
def connections_test(ctx: click.Context, name: str) -> None:
    """Sign in and say which subscriptions it sees and which roles it lacks."""
    report = open_workspace(ctx).test_connection(name)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(1)


@connections.command("remove")
@click.argument("name")
@click.pass_context
def connections_remove(ctx: click.Context, name: str) -> None:
    """Delete a connection and its stored secret."""
    open_workspace(ctx).connections.remove(name)
    click.echo(f"removed connection {name}")


@main.command()
@click.option(
    "--connection", default=None, help="Connection to sync (needed when there are several)."
)
@click.option(
    "--days", type=int, default=None, help="Days back for costs and metrics (default 30)."
)
@click.option("--only", default=None, help="Datasets, comma separated: inventory,metrics,costs.")
@click.pass_context
def sync(ctx: click.Context, connection: str | None, days: int | None, only: str | None) -> None:
    """Fetch inventory, metrics and costs from Azure into the workspace."""
    from cloudoptima.azure.options import SyncOptions

    ws = open_workspace(ctx)
    datasets = only.split(",") if only else None
    SyncOptions().choose(days=days, only=datasets)  # bad options: one sentence, before the bar
    connection = ws.connections.pick(connection).name
    bar: Any
    with click.progressbar(length=1000, label="syncing", file=sys.stderr, show_eta=False) as bar:

        def progress(fraction: float, text: str) -> None:
            bar.label = text
            bar.update(int(fraction * 1000) - bar.pos)

        report = ws.sync(connection, days=days, only=datasets, progress=progress)
    click.echo(report.summary())
    for failure in report.failures:
        click.echo(("FAILED  " if failure.fatal else "WARNING ") + failure.sentence(), err=True)
    if not report.ok:
        click.echo(
            f"Error: the sync is incomplete; these parts failed and kept their previous data: "
            f"{report.failed_parts()}",
            err=True,
        )
        sys.exit(1)
