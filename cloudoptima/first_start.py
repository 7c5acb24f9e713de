"""The first start of a new installation: one admin, and the demo estate to look at.

When no user exists, an ``admin`` with a random password is created in the default
organisation (the password is returned once, to be printed, never stored in clear);
when the default organisation's workspace holds no data, the demo estate is built
in it, so a new user sees a working app rather than empty pages.
"""

from __future__ import annotations

from cloudoptima.auth import DEFAULT_ORGANISATION, UserStore
from cloudoptima.workspace import Workspace


def first_start(store: UserStore | None = None) -> tuple[str, str] | None:
    """Create the first admin and the demo data when missing; return (user, password) if created."""
    store = store or UserStore()
    created = store.ensure_admin()
    default = store.organisations().get(DEFAULT_ORGANISATION)
    if default is not None:
        ws = Workspace.open(default.workspace, create=True)
        if ws.is_empty():
            ws.build_demo()
    return created
