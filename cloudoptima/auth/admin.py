"""What an organisation's admin may do to users, from the app (the command line may do all).

An organisation admin manages the users of the organisation they administer, and
only users whose every membership is in organisations they administer: otherwise
resetting a password would let them log in as someone who also sees another
organisation's data. Platform-wide changes stay with the command line.
"""

from __future__ import annotations

from cloudoptima.auth.users import UserStore, check_username
from cloudoptima.errors import CloudOptimaError


class OrganisationAdmin:
    """``actor``, an admin of ``org``, managing its users through ``store``."""

    def __init__(self, store: UserStore, actor: str, org: str) -> None:
        self.store, self.actor, self.org = store, actor, org
        if store.role(actor, org) != "admin":
            raise CloudOptimaError(f"'{actor}' is not an admin of '{org}'")

    def add_user(self, username: str, role: str, *, name: str | None, email: str | None) -> str:
        """Create a user in this organisation; return their password (shown once)."""
        return self.store.add_user(
            check_username(username), org=self.org, role=role, name=name, email=email
        )

    def set_role(self, username: str, role: str) -> None:
        """Change a member's role here (an admin cannot demote themselves)."""
        self._check_scope(username)
        if username == self.actor and role != "admin":
            raise CloudOptimaError("You cannot take away your own admin role; another admin can.")
        self.store.set_role(username, role, org=self.org)

    def reset_password(self, username: str) -> str:
        """Give a member a new password (lifts a lockout); return it, shown once."""
        self._check_scope(username)
        return self.store.reset_password(username)

    def remove(self, username: str) -> None:
        """Delete a member's account (never oneself)."""
        if username == self.actor:
            raise CloudOptimaError("You cannot remove yourself; another admin can.")
        self._check_scope(username)
        self.store.remove_user(username)

    def _check_scope(self, username: str) -> None:
        memberships = self.store.users().get(username, {}).get("organisations") or {}
        if self.org not in memberships:
            raise CloudOptimaError(f"{username} is not a member of this organisation")
        foreign = sorted(o for o in memberships if self.store.role(self.actor, o) != "admin")
        if foreign:
            raise CloudOptimaError(
                f"{username} also belongs to {', '.join(foreign)}, which you do not administer: "
                f"an admin of every organisation they belong to, or `cloudoptima users`, "
                "can change this account"
            )
