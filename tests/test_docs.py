"""Every setting of the typed settings model is documented in .streamlit/secrets.toml.example."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from cloudoptima.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]


def setting_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf setting as its path of section names, e.g. ('auth', 'cookie_key')."""
    paths: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            paths.extend(setting_paths(kind, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


def test_every_setting_is_documented() -> None:
    example = (ROOT / ".streamlit" / "secrets.toml.example").read_text()
    paths = setting_paths(Settings)
    assert {("workspace",), ("auth", "credentials_file"), ("auth", "cookie_key")} <= set(paths)
    for path in paths:
        env = ENV_PREFIX + "__".join(p.upper() for p in path)
        assert env in example, f"{env} is not documented in secrets.toml.example"
        assert f"# {path[-1]} = " in example, f"{'.'.join(path)} has no example line"


def test_no_secrets_file_is_committed() -> None:
    assert (
        not (ROOT / ".streamlit" / "secrets.toml").exists()
        or ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text()
    )
