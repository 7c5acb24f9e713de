"""Users, organisations and roles of the app (the command line manages them too)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cloudoptima.auth.permissions import PERMISSIONS, ROLES, allowed

if TYPE_CHECKING:
    from cloudoptima.auth.organisations import (
        DEFAULT_ORGANISATION,
        Organisation,
        OrganisationStore,
        check_org_id,
    )
    from cloudoptima.auth.users import (
        MAX_LOGIN_ATTEMPTS,
        UserStore,
        check_username,
        credentials_path,
        hash_password,
        is_locked,
        new_password,
    )

__all__ = [
    "DEFAULT_ORGANISATION",
    "MAX_LOGIN_ATTEMPTS",
    "PERMISSIONS",
    "ROLES",
    "Organisation",
    "OrganisationStore",
    "UserStore",
    "allowed",
    "check_org_id",
    "check_username",
    "credentials_path",
    "hash_password",
    "is_locked",
    "new_password",
]

# The stores load on first use (bcrypt, YAML and the typed settings), so commands that
# never touch users start faster.
_LAZY = {
    "DEFAULT_ORGANISATION": "cloudoptima.auth.organisations",
    "Organisation": "cloudoptima.auth.organisations",
    "OrganisationStore": "cloudoptima.auth.organisations",
    "check_org_id": "cloudoptima.auth.organisations",
    "MAX_LOGIN_ATTEMPTS": "cloudoptima.auth.users",
    "UserStore": "cloudoptima.auth.users",
    "check_username": "cloudoptima.auth.users",
    "credentials_path": "cloudoptima.auth.users",
    "hash_password": "cloudoptima.auth.users",
    "is_locked": "cloudoptima.auth.users",
    "new_password": "cloudoptima.auth.users",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cloudoptima.auth' has no attribute {name!r}")
