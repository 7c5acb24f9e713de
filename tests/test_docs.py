"""Every setting the code reads is documented in .streamlit/secrets.toml.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    used = set()
    for path in (ROOT / "cloudoptima").rglob("*.py"):
        used |= set(re.findall(r'get_setting\(\s*"([a-z_.]+)"', path.read_text()))
    example = (ROOT / ".streamlit" / "secrets.toml.example").read_text()
    env_names = {"CLOUDOPTIMA__" + key.upper().replace(".", "__") for key in used}
    assert used >= {"workspace", "auth.credentials_file", "auth.cookie_key"}
    for name in env_names:
        assert name in example, f"{name} is not documented in secrets.toml.example"


def test_no_secrets_file_is_committed() -> None:
    assert (
        not (ROOT / ".streamlit" / "secrets.toml").exists()
        or ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text()
    )
