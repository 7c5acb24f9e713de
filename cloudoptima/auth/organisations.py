"""Organisations and the workspace folder of each, in ``organisations.yaml``.

The map lives in its own file beside the credentials file (not inside the login
library's YAML), and workspace paths are stored absolute, so the app started from
any directory opens the same data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudoptima.auth.yamlfile import YamlFile
from cloudoptima.errors import CloudOptimaError

DEFAULT_ORGANISATION = "default"
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


@dataclass(frozen=True)
class Organisation:
    """An organisation and the workspace holding its data."""

    id: str
    name: str
    workspace: Path


def check_org_id(org: str) -> str:
    """An organisation id is a slug: lower-case letters, digits and '-' (``acme-eu``)."""
    if not isinstance(org, str) or not _SLUG.fullmatch(org):
        raise CloudOptimaError(
            f"{org!r} is not a usable organisation id: use lower-case letters, digits and '-', "
            "starting with a letter or digit (for example acme-eu)"
        )
    return org


class OrganisationStore:
    """Reads and changes ``organisations.yaml``."""

    def __init__(self, path: Path) -> None:
        self.file = YamlFile(path, lambda: {"organisations": {}})

    @property
    def path(self) -> Path:
        return self.file.path

    def all(self) -> dict[str, Organisation]:
        """Every organisation by id (an id edited by hand into a non-slug is refused)."""
        stored = self.file.load()["organisations"]
        for key in stored:
            try:
                check_org_id(key)
            except CloudOptimaError as exc:
                raise CloudOptimaError(f"{self.path}: {exc}") from None
        return {key: _organisation(key, value) for key, value in stored.items()}

    def get(self, org: str | None) -> Organisation | None:
        """One organisation, or None (also for a string that is no organisation id)."""
        return self.all().get(org or "")

    def add(self, org: str, workspace: str | Path, name: str | None = None) -> Organisation:
        """Register an organisation and its workspace folder (one workspace each)."""
        check_org_id(org)
        folder = Path(workspace).expanduser().resolve()
        with self.file.edit() as data:
            for other, value in data["organisations"].items():
                if other != org and Path(value["workspace"]).resolve() == folder:
                    raise CloudOptimaError(
                        f"workspace {folder} already belongs to organisation '{other}'"
                    )
            data["organisations"][org] = {"name": name or org, "workspace": str(folder)}
        return Organisation(org, name or org, folder)

    def adopt(self, organisations: dict[str, Any]) -> None:
        """Take over organisations kept in an older credentials file (absolute paths)."""
        with self.file.edit() as data:
            for key, value in organisations.items():
                check_org_id(key)
                folder = Path(value["workspace"]).expanduser().resolve()
                data["organisations"].setdefault(
                    key, {"name": value.get("name", key), "workspace": str(folder)}
                )


def _organisation(key: str, value: dict[str, Any]) -> Organisation:
    return Organisation(key, str(value.get("name", key)), Path(value["workspace"]))
