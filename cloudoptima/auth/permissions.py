"""Roles and what each may do in an organisation."""

from __future__ import annotations

ROLES = ("admin", "analyst", "viewer")
# What each role may do; every role may view its organisation's data.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"view", "analyse", "change_findings", "admin"}),
    "analyst": frozenset({"view", "analyse", "change_findings"}),
    "viewer": frozenset({"view"}),
}


def allowed(role: str | None, action: str) -> bool:
    """True when ``role`` may perform ``action`` (view, analyse, change_findings, admin)."""
    return action in PERMISSIONS.get(role or "", frozenset())
