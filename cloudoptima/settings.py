"""Typed settings: environment first, then secrets files, then defaults.

Environment names are ``CLOUDOPTIMA__`` plus the setting's path in upper case, with
``__`` between sections (``CLOUDOPTIMA__AUTH__COOKIE_KEY``); the workspace location
also answers to the short ``CLOUDOPTIMA_WORKSPACE``. Secrets files are the project's
``.streamlit/secrets.toml`` (found from the app's root folder, not the current
directory) over ``~/.cloudoptima/secrets.toml``. Relative paths are resolved against
the app's root, so starting the app or the command line from another directory
opens the same data. ``.streamlit/secrets.toml.example`` documents every setting.

Examples
--------
>>> load_settings(environ={"CLOUDOPTIMA__AUTH__COOKIE_KEY": "k"}).auth.cookie_key
'k'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cloudoptima.errors import CloudOptimaError

ENV_PREFIX = "CLOUDOPTIMA__"
DEFAULT_WORKSPACE = Path("data") / "workspace"


def app_root() -> Path:
    """The folder holding ``app.py`` and ``.streamlit/``: the source checkout, else the cwd."""
    checkout = Path(__file__).resolve().parents[1]
    return checkout if (checkout / "app.py").is_file() else Path.cwd()


def secrets_files() -> tuple[Path, Path]:
    """The secrets files read, the more specific first: the project's, then the user's."""
    return app_root() / ".streamlit" / "secrets.toml", Path.home() / ".cloudoptima" / "secrets.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AuthSettings(_Section):
    """Log-in: where users live and what signs the login cookie."""

    credentials_file: Path | None = None  # default ~/.cloudoptima/credentials.yaml
    organisations_file: Path | None = None  # default: organisations.yaml beside the credentials
    cookie_key: str | None = None  # default: a random key kept beside the credentials file


def _openai(name: str) -> Any:
    """A setting the openai client knows by ``name``: read under that name (env or secrets
    files) or as ``CLOUDOPTIMA__NAME``."""
    return Field(default=None, validation_alias=AliasChoices(name, ENV_PREFIX + name))


class ConnectionsSettings(_Section):
    """Live Azure connections: the key their secrets are encrypted with."""

    # A Fernet key (32 url-safe base64 bytes); without it no client secret can be stored.
    encryption_key: SecretStr | None = None


class Settings(BaseSettings):
    """Every setting of CloudOptima, typed."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore", frozen=True
    )

    workspace: Path = DEFAULT_WORKSPACE
    auth: AuthSettings = AuthSettings()
    # Ask's LLM engine, under the names the official openai client reads (upper case, so a
    # secrets file holds the same keys as the environment).
    OPENAI_API_KEY: SecretStr | None = _openai("OPENAI_API_KEY")
    OPENAI_BASE_URL: str | None = _openai("OPENAI_BASE_URL")
    OPENAI_MODEL: str | None = _openai("OPENAI_MODEL")
    AZURE_OPENAI_API_KEY: SecretStr | None = _openai("AZURE_OPENAI_API_KEY")
    AZURE_OPENAI_ENDPOINT: str | None = _openai("AZURE_OPENAI_ENDPOINT")
    OPENAI_API_VERSION: str | None = _openai("OPENAI_API_VERSION")
    connections: ConnectionsSettings = ConnectionsSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        project, user = secrets_files()
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=project),
            TomlConfigSettingsSource(settings_cls, toml_file=user),
        )


def load_settings(*, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings now; ``environ`` (``CLOUDOPTIMA__...`` names) wins over every source."""
    try:
        return Settings(**_from_environ(environ or {}))
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise CloudOptimaError(f"setting '{where}' is not valid: {problem['msg']}") from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings of an environment mapping, nested by ``__``."""
    nested: dict[str, Any] = {}
    for name, value in environ.items():
        if name.upper() in _OPENAI_NAMES or name.upper().removeprefix(ENV_PREFIX) in _OPENAI_NAMES:
            nested[name.upper().removeprefix(ENV_PREFIX)] = value
            continue
        if not name.upper().startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return nested


_OPENAI_NAMES = frozenset(n for n in Settings.model_fields if n.isupper())


def resolve_path(path: Path) -> Path:
    """``~`` expanded; a relative path taken from the app's root, not the current directory."""
    path = path.expanduser()
    return path if path.is_absolute() else (app_root() / path).resolve()


def workspace_path(explicit: str | Path | None = None) -> Path:
    """The workspace folder: explicit argument, ``CLOUDOPTIMA_WORKSPACE``, settings, default.

    An explicit path is taken as given (relative to the current directory, as a
    command-line user means it); configured paths are resolved from the app's root.
    """
    if explicit:
        return Path(explicit).expanduser().resolve()
    short = os.environ.get("CLOUDOPTIMA_WORKSPACE")
    if short:
        return resolve_path(Path(short))
    return resolve_path(load_settings().workspace)
