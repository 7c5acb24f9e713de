"""Settings: environment first, then ``.streamlit/secrets.toml``, then defaults.

Environment names use ``CLOUDOPTIMA_`` plus the setting in upper case, with ``__``
between sections (``CLOUDOPTIMA__AZURE__TENANT_ID``); the workspace location also
answers to the short ``CLOUDOPTIMA_WORKSPACE``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

DEFAULT_WORKSPACE = Path("data") / "workspace"
SECRETS_FILES = (Path(".streamlit") / "secrets.toml", Path.home() / ".cloudoptima" / "secrets.toml")


def _secrets() -> dict[str, Any]:
    for path in SECRETS_FILES:
        if path.is_file():
            with path.open("rb") as handle:
                return tomllib.load(handle)
    return {}


def get_setting(name: str, default: Any = None, *, environ: dict[str, str] | None = None) -> Any:
    """Resolve a dotted setting name (``'azure.tenant_id'``) from env, secrets, default."""
    env = os.environ if environ is None else environ
    key = "CLOUDOPTIMA__" + name.upper().replace(".", "__")
    if key in env:
        return env[key]
    node: Any = _secrets()
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def workspace_path(explicit: str | Path | None = None) -> Path:
    """The workspace folder: explicit argument, env, secrets, then ``data/workspace``."""
    if explicit:
        return Path(explicit)
    short = os.environ.get("CLOUDOPTIMA_WORKSPACE")
    if short:
        return Path(short)
    return Path(get_setting("workspace", DEFAULT_WORKSPACE))
