"""Users and their roles per organisation, in the credentials file the login widget reads.

The file is the YAML that streamlit-authenticator reads (``credentials.usernames``),
each user with ``organisations`` (id -> role). Passwords are bcrypt hashes; no default
password exists anywhere: the first start creates an admin with a random password.
Organisations themselves are in their own file (:mod:`cloudoptima.auth.organisations`).
Every change is a locked, atomic read-modify-write of the file.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

import bcrypt

from cloudoptima.auth.organisations import DEFAULT_ORGANISATION, Organisation, OrganisationStore
from cloudoptima.auth.permissions import ROLES
from cloudoptima.auth.yamlfile import YamlFile
from cloudoptima.errors import CloudOptimaError
from cloudoptima.settings import load_settings, resolve_path, workspace_path

MAX_LOGIN_ATTEMPTS = 5


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

    def users(self) -> dict[str, dict[str, Any]]:
        """Users by username, as stored (password hashes included)."""
        users: dict[str, dict[str, Any]] = self.load()["credentials"]["usernames"]
        return users

    def organisations(self) -> dict[str, Organisation]:
        """Every organisation by id."""
        return self.orgs.all()

    def role(self, username: str | None, org: str | None) -> str | None:
        """The user's role in ``org``, or None when they do not belong to it."""
        if not username or not org:
            return None
        user = self.users().get(username)
        return None if user is None else user.get("organisations", {}).get(org)

    def user_organisations(self, username: str) -> dict[str, str]:
        """Organisation id -> role for one user (only organisations that exist)."""
        known = self.organisations()
        orgs = _user(self.load(), username).get("organisations", {})
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
        """When the user last logged out (0 when never)."""
        return float(self.users().get(username, {}).get("logged_out_at") or 0)

    def cookie_key(self) -> str:
        """The cookie signing key: setting ``auth.cookie_key``, else a random key kept beside the file."""
        configured = load_settings().auth.cookie_key
        if configured:
            return configured
        key_file = self.path.parent / "cookie.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
            key_file.chmod(0o600)
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
    ) -> str:
        """Create a user with a random password in one organisation; return the password."""
        username = check_username(username)
        _check_role(role)
        self._check_org(org)
        password = new_password()
        with self.file.edit() as data:
            users = data["credentials"]["usernames"]
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
            }
        return password

    def remove_user(self, username: str) -> None:
        """Delete a user; the last admin of an organisation cannot be removed."""
        with self.file.edit() as data:
            user = _user(data, username)
            for org, role in user.get("organisations", {}).items():
                if role == "admin" and _admins(data, org) == [username]:
                    raise CloudOptimaError(
                        f"'{username}' is the last admin of '{org}'; make another user admin first"
                    )
            del data["credentials"]["usernames"][username]

    def set_role(self, username: str, role: str, *, org: str | None = None) -> None:
        """Give a user a role in an organisation (default: their only organisation)."""
        _check_role(role)
        with self.file.edit() as data:
            orgs = _user(data, username).setdefault("organisations", {})
            if org is None:
                if len(orgs) != 1:
                    raise CloudOptimaError(
                        f"'{username}' belongs to {len(orgs)} organisations; say which with --org"
                    )
                org = next(iter(orgs))
            self._check_org(org)
            if orgs.get(org) == "admin" and role != "admin" and _admins(data, org) == [username]:
                raise CloudOptimaError(
                    f"'{username}' is the last admin of '{org}'; make another user admin first"
                )
            orgs[org] = role

    def reset_password(self, username: str) -> str:
        """Set a new random password and lift a lockout; return the password."""
        password = new_password()
        with self.file.edit() as data:
            user = _user(data, username)
            user["password"] = hash_password(password)
            user["failed_login_attempts"] = 0
        return password

    def save_login_state(self, credentials: dict[str, Any]) -> None:
        """Persist failed-login counts (the lockout) that the login widget changed in memory."""
        seen = credentials.get("usernames", {})

        def count(name: str, user: dict[str, Any]) -> int:
            return int(seen.get(name, {}).get("failed_login_attempts") or 0)

        stored = self.users()
        if all(count(n, u) == int(u.get("failed_login_attempts") or 0) for n, u in stored.items()):
            return  # nothing changed: no write on every page run
        with self.file.edit() as data:
            for username, user in data["credentials"]["usernames"].items():
                user["failed_login_attempts"] = count(username, user)

    def record_logout(self, username: str) -> None:
        """Remember when a user logged out: older login cookies stop working."""
        with self.file.edit() as data:
            user = data["credentials"]["usernames"].get(username)
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
    def _check_org(self, org: str) -> None:
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


def is_locked(user: dict[str, Any]) -> bool:
    """True when the user's failed logins reached the lockout."""
    return int(user.get("failed_login_attempts") or 0) >= MAX_LOGIN_ATTEMPTS


def new_password() -> str:
    """A random password to hand over once."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """bcrypt hash, the format streamlit-authenticator checks."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_username(username: str) -> str:
    """Usernames are stored lower-cased: the login form lower-cases what is typed."""
    name = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._@-]{0,63}", name):
        raise CloudOptimaError(
            f"'{username}' is not a usable username: use letters, digits, '.', '_', '@' or '-'"
        )
    return name


def _user(data: dict[str, Any], username: str) -> dict[str, Any]:
    user: dict[str, Any] | None = data["credentials"]["usernames"].get(username)
    if user is None:
        raise CloudOptimaError(f"no user '{username}'; list them with `cloudoptima users list`")
    return user


def _admins(data: dict[str, Any], org: str) -> list[str]:
    users = data["credentials"]["usernames"]
    return [u for u, v in users.items() if v.get("organisations", {}).get(org) == "admin"]


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise CloudOptimaError(f"unknown role '{role}'; use one of {', '.join(ROLES)}")
