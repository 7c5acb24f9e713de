"""Users, organisations and roles of the app (the command line manages them too)."""

from __future__ import annotations

from cloudoptima.auth.organisations import (
    DEFAULT_ORGANISATION,
    Organisation,
    OrganisationStore,
    check_org_id,
)
from cloudoptima.auth.permissions import PERMISSIONS, ROLES, allowed
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
