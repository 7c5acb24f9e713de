"""Users and their roles per organisation, in the credentials file the login widget reads.

The file is the YAML that streamlit-authenticator reads (``credentials.usernames``),
each user with ``organisations`` (id -> role). Passwords are bcrypt hashes; no default
password exists anywhere: the first start creates an admin with a random password.
Organisations themselves are in their own file (:mod:`cloudoptima.auth.organisations`).

Every change is a locked, atomic read-modify-write of the file, the login state
included: each failed login adds one to ``failed_login_attempts`` in its own locked
step, so parallel attempts all count. ``logged_out_at`` is when the user's sessions
last ended (creation, logout, password reset, role change): a session or login cookie
that started earlier no longer opens the app.

A change may carry a *guard*: a function that sees every user under the lock, just
before the change, and raises to refuse it. Checks of who may change what
(:mod:`cloudoptima.auth.admin`) run there, so nothing changes between check and write.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bcrypt

from cloudoptima.auth.organisations import (
    DEFAULT_ORGANISATION,
    Organisation,
    OrganisationStore,
    check_org_id,
)
from cloudoptima.auth.permissions import ROLES
from cloudoptima.auth.yamlfile import YamlFile
from cloudoptima.errors import CloudOptimaError
from cloudoptima.settings import load_settings, resolve_path, workspace_path
from cloudoptima.storage.locks import locked

MAX_LOGIN_ATTEMPTS = 5

Users = dict[str, dict[str, Any]]
Guard = Callable[[Users], None]
"""Sees every user under the lock, before a change; raises CloudOptimaError to refuse it."""


class AccountLocked(CloudOptimaError):
    """The password was right but the account is locked by failed logins."""


def credentials_path() -> Path:
    """The credentials file: setting ``auth.credentials_file``, else ~/.cloudoptima/credentials.yaml."""
    configured = load_settings().auth.credentials_file
    return (
        resolve_path(configured)
        if configured
        else Path.home() / ".cloudoptima" / "credentials.yaml"
    )


def organisations_path(credentials: Path) -> Path:
    """``auth.organisations_file``, else ``organisations.yaml`` beside the credentials file."""
    configured = load_settings().auth.organisations_file
    return resolve_path(configured) if configured else credentials.with_name("organisations.yaml")


class UserStore:
    """Users, roles and login state in the credentials file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or credentials_path()
        self.file = YamlFile(self.path, lambda: {"credentials": {"usernames": {}}})
        self.orgs = OrganisationStore(organisations_path(self.path))
        self._adopt_old_organisations()

    # -- reading ---------------------------------------------------------------------
    def load(self) -> dict[str, Any]:
        """The whole credentials document (an empty skeleton before the first user)."""
        data = self.file.load()
        data.setdefault("credentials", {}).setdefault("usernames", {})
        return data

    def users(self) -> Users:
        """Users by username, as stored (password hashes included)."""
        users: Users = self.load()["credentials"]["usernames"]
        return users

    def organisations(self) -> dict[str, Organisation]:
        """Every organisation by id."""
        return self.orgs.all()

    def role(self, username: str | None, org: str | None) -> str | None:
        """The user's role in ``org``, or None when they do not belong to it."""
        if not username or not org:
            return None
        return role_in(self.users(), username, org)

    def user_organisations(self, username: str) -> dict[str, str]:
        """Organisation id -> role for one user (only organisations that exist)."""
        known = self.organisations()
        orgs = _user(self.users(), username).get("organisations", {})
        return {org: role for org, role in orgs.items() if org in known}

    def members(self, org: str) -> list[dict[str, Any]]:
        """The users of one organisation as rows: username, name, email, role, locked."""
        return [
            {
                "username": name,
                "name": user.get("name"),
                "email": user.get("email"),
                "role": user["organisations"][org],
                "locked": is_locked(user),
            }
            for name, user in sorted(self.users().items())
            if org in (user.get("organisations") or {})
        ]

    def logged_out_at(self, username: str) -> float:
        """When the user's sessions last ended (0 when never)."""
        return float(self.users().get(username, {}).get("logged_out_at") or 0)

    def cookie_key(self) -> str:
        """The cookie signing key: setting ``auth.cookie_key``, else a random key kept beside the file."""
        configured = load_settings().auth.cookie_key
        if configured:
            return configured
        key_file = self.path.parent / "cookie.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # two first page runs at once must not each write (and sign with) their own key
            with locked(key_file.with_name("cookie.key.lock"), what=str(key_file), timeout=60):
                if not key_file.exists():
                    _write_private(key_file, secrets.token_urlsafe(32))
        return key_file.read_text(encoding="utf-8").strip()

    # -- changing --------------------------------------------------------------------
    def add_organisation(
        self, org: str, workspace: str | Path, name: str | None = None
    ) -> Organisation:
        """Register an organisation and its workspace folder (one workspace each)."""
        return self.orgs.add(org, workspace, name)

    def add_user(
        self,
        username: str,
        *,
        org: str,
        role: str,
        name: str | None = None,
        email: str | None = None,
        guard: Guard | None = None,
    ) -> str:
        """Create a user with a random password in one organisation; return the password."""
        username = check_username(username)
        _check_role(role)
        self._check_org(org)
        password = new_password()
        with self._change(guard) as users:
            if username in users:
                raise CloudOptimaError(
                    f"user '{username}' exists already; use `users set-role` to change it"
                )
            users[username] = {
                "name": name or username,
                "email": email or f"{username}@localhost",
                "password": hash_password(password),
                "organisations": {org: role},
                "failed_login_attempts": 0,
                "logged_in": False,
                # a login cookie of an earlier account of the same name opens nothing
                "logged_out_at": time.time(),
            }
        return password

    def remove_user(self, username: str, *, guard: Guard | None = None) -> None:
        """Delete a user (their sessions end); the last admin of an organisation stays."""
        with self._change(guard) as users:
            user = _user(users, username)
            for org, role in user.get("organisations", {}).items():
                if role == "admin" and _admins(users, org) == [username]:
                    raise CloudOptimaError(
                        f"'{username}' is the last admin of '{org}'; make another user admin first"
                    )
            del users[username]

    def set_role(
        self, username: str, role: str, *, org: str | None = None, guard: Guard | None = None
    ) -> None:
        """Give a user a role in an organisation (default: their only organisation).

        A user not yet in ``org`` joins it. Changing an existing role ends the user's
        sessions: they log in again under the new role.
        """
        _check_role(role)
        if org is not None:
            self._check_org(org)
        with self._change(guard) as users:
            user = _user(users, username)
            orgs = user.setdefault("organisations", {})
            if org is None:
                if len(orgs) != 1:
                    raise CloudOptimaError(
                        f"'{username}' belongs to {len(orgs)} organisations; say which with --org"
                    )
                org = next(iter(orgs))
            before = orgs.get(org)
            if before == "admin" and role != "admin" and _admins(users, org) == [username]:
                raise CloudOptimaError(
                    f"'{username}' is the last admin of '{org}'; make another user admin first"
                )
            orgs[org] = role
            if before is not None and before != role:
                user["logged_out_at"] = time.time()

    def reset_password(self, username: str, *, guard: Guard | None = None) -> str:
        """Set a new random password, lift a lockout and end the user's sessions."""
        password = new_password()
        with self._change(guard) as users:
            user = _user(users, username)
            user["password"] = hash_password(password)
            user["failed_login_attempts"] = 0
            user["logged_out_at"] = time.time()
        return password

    def unlock(self, username: str, *, guard: Guard | None = None) -> None:
        """Lift a lockout (the password stays)."""
        with self._change(guard) as users:
            _user(users, username)["failed_login_attempts"] = 0

    def record_failed_login(self, username: str | None) -> None:
        """Count one failed login of ``username`` in one locked read-modify-write.

        Parallel attempts therefore all count. An unknown username changes nothing
        but costs the same locked write, so the time taken does not tell whether a
        username exists.
        """
        with self._change(None) as users:
            user = users.get(username or "")
            if user is not None:
                user["failed_login_attempts"] = failures(user) + 1

    def record_login(self, username: str) -> None:
        """A password matched: clear the failure count, or raise AccountLocked.

        Checked under the lock, so a lockout reached by parallel attempts holds even
        against the right password; that attempt counts as one more failure.
        """
        with self._change(None) as users:
            user = _user(users, username)
            refused = is_locked(user)
            user["failed_login_attempts"] = failures(user) + 1 if refused else 0
        if refused:
            raise AccountLocked(f"the account '{username}' is locked")

    def record_logout(self, username: str) -> None:
        """The user logged out: their sessions and login cookies, everywhere, end now."""
        with self._change(None) as users:
            user = users.get(username)
            if user is not None:
                user["logged_out_at"] = time.time()

    def ensure_admin(self) -> tuple[str, str] | None:
        """When no user exists, create ``admin`` with a random password: (username, password)."""
        if self.users():
            return None
        if DEFAULT_ORGANISATION not in self.organisations():
            self.add_organisation(DEFAULT_ORGANISATION, workspace_path(), "Default organisation")
        return "admin", self.add_user(
            "admin", org=DEFAULT_ORGANISATION, role="admin", name="Administrator"
        )

    # -- plumbing --------------------------------------------------------------------
    @contextlib.contextmanager
    def _change(self, guard: Guard | None) -> Iterator[Users]:
        """The users under the lock, after ``guard`` agreed; saved when the block ends."""
        with self.file.edit() as data:
            users: Users = data.setdefault("credentials", {}).setdefault("usernames", {})
            if guard is not None:
                guard(users)
            yield users

    def _check_org(self, org: str) -> None:
        check_org_id(org)
        if org not in self.organisations():
            raise CloudOptimaError(
                f"no organisation '{org}'; add it with `cloudoptima orgs add {org} --workspace DIR`"
            )

    def _adopt_old_organisations(self) -> None:
        """Credentials files of earlier releases also held the organisations: move them out."""
        if not self.path.exists() or "organisations" not in self.file.load():
            return
        with self.file.edit() as data:
            old = data.pop("organisations", None) or {}
            self.orgs.adopt(old)


def role_in(users: Users, username: str, org: str) -> str | None:
    """The role of ``username`` in ``org`` among ``users``, or None."""
    role = (users.get(username) or {}).get("organisations", {}).get(org)
    return None if role is None else str(role)


def failures(user: dict[str, Any]) -> int:
    """The user's failed logins since the last successful one."""
    return int(user.get("failed_login_attempts") or 0)


def is_locked(user: dict[str, Any]) -> bool:
    """True when the user's failed logins reached the lockout."""
    return failures(user) >= MAX_LOGIN_ATTEMPTS


def new_password() -> str:
    """A random password to hand over once."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """bcrypt hash, the format streamlit-authenticator checks."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def spend_a_password_check(password: str) -> None:
    """Check ``password`` against a hash of nobody's password.

    A login with an unknown username costs one bcrypt check, like a wrong password,
    so its answer takes as long.
    """
    bcrypt.checkpw(password.encode(), _nobodys_hash())


@functools.cache
def _nobodys_hash() -> bytes:
    return hash_password(secrets.token_urlsafe(16)).encode()


def check_username(username: str) -> str:
    """Usernames are stored lower-cased: the login form lower-cases what is typed."""
    name = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._@-]{0,63}", name):
        raise CloudOptimaError(
            f"'{username}' is not a usable username: use letters, digits, '.', '_', '@' or '-'"
        )
    return name


def _user(users: Users, username: str) -> dict[str, Any]:
    user: dict[str, Any] | None = users.get(username)
    if user is None:
        raise CloudOptimaError(f"no user '{username}'; list them with `cloudoptima users list`")
    return user


def _admins(users: Users, org: str) -> list[str]:
    return [u for u, v in users.items() if v.get("organisations", {}).get(org) == "admin"]


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise CloudOptimaError(f"unknown role '{role}'; use one of {', '.join(ROLES)}")


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, whole or not at all."""
    tmp = path.with_name(f".{path.name}-{secrets.token_hex(4)}")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(text)
    tmp.replace(path)
