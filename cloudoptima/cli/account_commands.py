"""Commands that manage the app's users, their roles and the organisations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import polars as pl

from cloudoptima.auth.permissions import ROLES
from cloudoptima.cli.base import format_option, main
from cloudoptima.cli.output import render
from cloudoptima.workspace import Workspace

if TYPE_CHECKING:
    from cloudoptima.auth.users import UserStore


def _store() -> UserStore:
    """The credentials store (loaded on use: other commands start faster without it)."""
    from cloudoptima.auth.users import UserStore

    return UserStore()


@main.group()
def users() -> None:
    """Manage who may log in to the app, and their role in each organisation."""


@users.command("add")
@click.argument("username")
@click.option("--org", default="default", show_default=True, help="Organisation the user joins.")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--name", default=None, help="Display name.")
@click.option("--email", default=None)
def users_add(username: str, org: str, role: str, name: str | None, email: str | None) -> None:
    """Create a user with a random password, shown once."""
    password = _store().add_user(username, org=org, role=role, name=name, email=email)
    click.echo(f"created {username} ({role} of {org}); password, shown once: {password}")


@users.command("list")
@format_option
def users_list(fmt: str) -> None:
    """List users, their organisations and roles, and lockouts."""
    rows = [
        {
            "username": username,
            "name": user.get("name"),
            "email": user.get("email"),
            "organisations": ", ".join(
                f"{o}:{r}" for o, r in sorted(user.get("organisations", {}).items())
            ),
            "locked": _locked(user),
        }
        for username, user in sorted(_store().users().items())
    ]
    click.echo(render(pl.DataFrame(rows), fmt) if rows else "(no users yet)")


def _locked(user: dict[str, object]) -> bool:
    from cloudoptima.auth.users import is_locked

    return is_locked(user)


@users.command("remove")
@click.argument("username")
def users_remove(username: str) -> None:
    """Delete a user (never the last admin of an organisation)."""
    _store().remove_user(username)
    click.echo(f"removed {username}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
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
    from cloudoptima.auth.organisations import check_org_id

    check_org_id(org)
    Workspace.open(folder, create=True)  # first: a folder that cannot be one is not registered
    created = _store().add_organisation(org, folder, name)
    click.echo(f"organisation {created.id} uses {created.workspace}")


@orgs.command("list")
def orgs_list() -> None:
    """List organisations and their workspaces."""
    rows = [
        {"org": o.id, "name": o.name, "workspace": str(o.workspace)}
        for o in _store().organisations().values()
    ]
    click.echo(render(pl.DataFrame(rows), "table") if rows else "(no organisations yet)")
