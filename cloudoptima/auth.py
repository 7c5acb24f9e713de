"""Users, organisations and roles, kept in a credentials file outside the repository.

The file is the YAML that streamlit-authenticator reads (``credentials.usernames``),
plus CloudOptima's ``organisations`` (id -> name and workspace folder) and, per user,
``organisations`` (id -> role). Passwords are bcrypt hashes; no default password
exists anywhere: the first start creates an admin with a random password.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from cloudoptima.errors import CloudOptimaError
from cloudoptima.settings import get_setting, workspace_path

ROLES = ("admin", "analyst", "viewer")
# What each role may do; every role may view its organisation's data.
PERMISSIONS = {
    "admin": {"view", "analyse", "change_findings", "admin"},
    "analyst": {"view", "analyse", "change_findings"},
    "viewer": {"view"},
}
DEFAULT_ORGANISATION = "default"
MAX_LOGIN_ATTEMPTS = 5


def allowed(role: str | None, action: str) -> bool:
    """True when ``role`` may perform ``action`` (view, analyse, change_findings, admin)."""
    return action in PERMISSIONS.get(role or "", set())


def credentials_path() -> Path:
    """The credentials file: setting ``auth.credentials_file``, else ~/.cloudoptima/credentials.yaml."""
    configured = get_setting("auth.credentials_file")
    return (
        Path(configured).expanduser()
        if configured
        else Path.home() / ".cloudoptima" / "credentials.yaml"
    )


@dataclass(frozen=True)
class Organisation:
    """An organisation and the workspace holding its data."""

    id: str
    name: str
    workspace: Path


class UserStore:
    """Reads and writes the credentials file; every change is an atomic rewrite."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or credentials_path()

    # -- file --------------------------------------------------------------------------
    def load(self) -> dict[str, Any]:
        """The whole document (empty skeleton when the file does not exist yet)."""
        if not self.path.exists():
            return {"credentials": {"usernames": {}}, "organisations": {}}
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise CloudOptimaError(
                f"the credentials file {self.path} is not valid YAML: {exc}"
            ) from exc
        data.setdefault("credentials", {}).setdefault("usernames", {})
        data.setdefault("organisations", {})
        return data

    def save(self, data: dict[str, Any]) -> None:
        """Write atomically with owner-only permissions: it holds password hashes."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".credentials-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, sort_keys=True)
        Path(tmp).chmod(0o600)
        Path(tmp).replace(self.path)

    # -- organisations -------------------------------------------------------------------
    def organisations(self) -> dict[str, Organisation]:
        """Every organisation by id."""
        return {
            key: _organisation(key, value) for key, value in self.load()["organisations"].items()
        }

    def add_organisation(
        self, org: str, workspace: str | Path, name: str | None = None
    ) -> Organisation:
        """Register an organisation and its workspace folder (one workspace each)."""
        data = self.load()
        for other, value in data["organisations"].items():
            if other != org and Path(value["workspace"]).resolve() == Path(workspace).resolve():
                raise CloudOptimaError(
                    f"workspace {workspace} already belongs to organisation '{other}'"
                )
        data["organisations"][org] = {"name": name or org, "workspace": str(workspace)}
        self.save(data)
        return _organisation(org, data["organisations"][org])

    # -- users ---------------------------------------------------------------------------
    def users(self) -> dict[str, dict[str, Any]]:
        """Users by username, as stored (password hashes included)."""
        users: dict[str, dict[str, Any]] = self.load()["credentials"]["usernames"]
        return users

    def add_user(self, username: str, *, org: str, role: str, name: str | None = None,
                 email: str | None = None) -> str:  # fmt: skip
        """Create a user with a random password in one organisation; return the password."""
        username = _check_username(username)
        data = self.load()
        _check_role(role)
        _check_org(data, org)
        if username in data["credentials"]["usernames"]:
            raise CloudOptimaError(
                f"user '{username}' exists already; use `users set-role` to change it"
            )
        password = new_password()
        data["credentials"]["usernames"][username] = {
            "name": name or username, "email": email or f"{username}@localhost", "password": hash_password(password),
            "organisations": {org: role}, "failed_login_attempts": 0, "logged_in": False,
        }  # fmt: skip
        self.save(data)
        return password

    def remove_user(self, username: str) -> None:
        """Delete a user; the last admin of an organisation cannot be removed."""
        data = self.load()
        user = _user(data, username)
        for org, role in user.get("organisations", {}).items():
            if role == "admin" and self._admins(data, org) == [username]:
                raise CloudOptimaError(
                    f"'{username}' is the last admin of '{org}'; make another user admin first"
                )
        del data["credentials"]["usernames"][username]
        self.save(data)

    def set_role(self, username: str, role: str, *, org: str | None = None) -> None:
        """Give a user a role in an organisation (default: their only organisation)."""
        data = self.load()
        _check_role(role)
        user = _user(data, username)
        orgs = user.setdefault("organisations", {})
        if org is None:
            if len(orgs) != 1:
                raise CloudOptimaError(
                    f"'{username}' belongs to {len(orgs)} organisations; say which with --org"
                )
            org = next(iter(orgs))
        _check_org(data, org)
        if orgs.get(org) == "admin" and role != "admin" and self._admins(data, org) == [username]:
            raise CloudOptimaError(
                f"'{username}' is the last admin of '{org}'; make another user admin first"
            )
        orgs[org] = role
        self.save(data)

    def reset_password(self, username: str) -> str:
        """Set a new random password and lift a lockout; return the password."""
        data = self.load()
        user = _user(data, username)
        password = new_password()
        user["password"] = hash_password(password)
        user["failed_login_attempts"] = 0
        self.save(data)
        return password

    def save_login_state(self, credentials: dict[str, Any]) -> None:
        """Persist failed-login counts (the lockout) that the login widget changed in memory."""
        data = self.load()
        changed = False
        for username, user in data["credentials"]["usernames"].items():
            seen = credentials.get("usernames", {}).get(username, {})
            count = int(seen.get("failed_login_attempts") or 0)
            if count != int(user.get("failed_login_attempts") or 0):
                user["failed_login_attempts"] = count
                changed = True
        if changed:
            self.save(data)

    def record_logout(self, username: str) -> None:
        """Remember when a user logged out: older login cookies stop working."""
        data = self.load()
        user = data["credentials"]["usernames"].get(username)
        if user is not None:
            user["logged_out_at"] = time.time()
            self.save(data)

    def logged_out_at(self, username: str) -> float:
        """When the user last logged out (0 when never)."""
        return float(self.users().get(username, {}).get("logged_out_at") or 0)

    def role(self, username: str | None, org: str | None) -> str | None:
        """The user's role in ``org``, or None when they do not belong to it."""
        if not username or not org:
            return None
        user = self.users().get(username)
        return None if user is None else user.get("organisations", {}).get(org)

    def user_organisations(self, username: str) -> dict[str, str]:
        """Organisation id -> role for one user (only organisations that exist)."""
        data = self.load()
        orgs = _user(data, username).get("organisations", {})
        return {org: role for org, role in orgs.items() if org in data["organisations"]}

    def ensure_admin(self) -> tuple[str, str] | None:
        """When no user exists, create ``admin`` with a random password: (username, password)."""
        data = self.load()
        if data["credentials"]["usernames"]:
            return None
        if DEFAULT_ORGANISATION not in data["organisations"]:
            self.add_organisation(DEFAULT_ORGANISATION, workspace_path(), "Default organisation")
        return "admin", self.add_user(
            "admin", org=DEFAULT_ORGANISATION, role="admin", name="Administrator"
        )

    def cookie_key(self) -> str:
        """The cookie signing key: setting ``auth.cookie_key``, else a random key kept beside the file."""
        configured = get_setting("auth.cookie_key")
        if configured:
            return str(configured)
        key_file = self.path.parent / "cookie.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
            key_file.chmod(0o600)
        return key_file.read_text(encoding="utf-8").strip()

    @staticmethod
    def _admins(data: dict[str, Any], org: str) -> list[str]:
        users = data["credentials"]["usernames"]
        return [u for u, v in users.items() if v.get("organisations", {}).get(org) == "admin"]


def new_password() -> str:
    """A random password to hand over once."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """bcrypt hash, the format streamlit-authenticator checks."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _organisation(key: str, value: dict[str, Any]) -> Organisation:
    return Organisation(key, str(value.get("name", key)), Path(value["workspace"]))


def _user(data: dict[str, Any], username: str) -> dict[str, Any]:
    user: dict[str, Any] | None = data["credentials"]["usernames"].get(username)
    if user is None:
        raise CloudOptimaError(f"no user '{username}'; list them with `cloudoptima users list`")
    return user


def _check_username(username: str) -> str:
    """Usernames are stored lower-cased: the login form lower-cases what is typed."""
    name = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._@-]{0,63}", name):
        raise CloudOptimaError(
            f"'{username}' is not a usable username: use letters, digits, '.', '_', '@' or '-'"
        )
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise CloudOptimaError(f"unknown role '{role}'; use one of {', '.join(ROLES)}")


def _check_org(data: dict[str, Any], org: str) -> None:
    if org not in data["organisations"]:
        raise CloudOptimaError(
            f"no organisation '{org}'; add it with `cloudoptima orgs add {org} --workspace DIR`"
        )
