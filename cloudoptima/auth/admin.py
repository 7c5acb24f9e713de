"""What an organisation's admin may do to users, from the app (the command line may do all).

An organisation admin changes only users whose every membership is in organisations
they administer: resetting the password of someone who also sees another
organisation's data would let the admin log in as them and read it. That covers
password resets, role changes, removals and adding an existing account to the
organisation. Lifting a lockout grants nothing, so any admin of one of the user's
organisations may do it. Platform-wide changes stay with the command line.

Each check runs as the change's guard, under the credentials file's lock, on the
users as they are at that moment: a membership added elsewhere between the page
run and the click is seen.
"""

from __future__ import annotations

from cloudoptima.auth.users import Guard, Users, UserStore, check_username, role_in
from cloudoptima.errors import CloudOptimaError


class OrganisationAdmin:
    """``actor``, an admin of ``org``, managing its users through ``store``."""

    def __init__(self, store: UserStore, actor: str, org: str) -> None:
        self.store, self.actor, self.org = store, actor, org
        self._check_actor(store.users())

    def add_user(
        self, username: str, role: str, *, name: str | None, email: str | None
    ) -> str | None:
        """Add a member: a new account (return its password, shown once), or an existing one.

        An existing account joins only when every organisation it belongs to is one
        this admin administers; its password stays (None is returned).
        """
        username = check_username(username)
        if username not in self.store.users():
            return self.store.add_user(
                username, org=self.org, role=role, name=name, email=email, guard=self._check_actor
            )
        self.store.set_role(username, role, org=self.org, guard=self._may_add(username))
        return None

    def set_role(self, username: str, role: str) -> None:
        """Change a member's role here (an admin cannot demote themselves)."""
        if username == self.actor and role != "admin":
            raise CloudOptimaError("You cannot take away your own admin role; another admin can.")
        self.store.set_role(username, role, org=self.org, guard=self._may_change(username))

    def reset_password(self, username: str) -> str:
        """Give a member a new password (lifts a lockout, ends their sessions); return it."""
        return self.store.reset_password(username, guard=self._may_change(username))

    def unlock(self, username: str) -> None:
        """Lift a member's lockout (their password stays)."""
        self.store.unlock(username, guard=self._may_unlock(username))

    def remove(self, username: str) -> None:
        """Delete a member's account (never oneself)."""
        if username == self.actor:
            raise CloudOptimaError("You cannot remove yourself; another admin can.")
        self.store.remove_user(username, guard=self._may_change(username))

    # -- guards: they run under the lock, on the users as stored at that moment --------
    def _check_actor(self, users: Users) -> None:
        if role_in(users, self.actor, self.org) != "admin":
            raise CloudOptimaError(f"'{self.actor}' is not an admin of '{self.org}'")

    def _may_change(self, username: str) -> Guard:
        def guard(users: Users) -> None:
            self._check_actor(users)
            if role_in(users, username, self.org) is None:
                raise CloudOptimaError(f"{username} is not a member of this organisation")
            self._check_every_membership(users, username)

        return guard

    def _may_add(self, username: str) -> Guard:
        def guard(users: Users) -> None:
            self._check_actor(users)
            if role_in(users, username, self.org) is not None:
                raise CloudOptimaError(f"{username} is a member already; change their role instead")
            if not _memberships(users, username):  # an account of no organisation
                raise _taken(username)
            self._check_every_membership(users, username, refusal=_taken(username))

        return guard

    def _may_unlock(self, username: str) -> Guard:
        def guard(users: Users) -> None:
            self._check_actor(users)
            if role_in(users, username, self.org) is None:
                raise CloudOptimaError(f"{username} is not a member of this organisation")

        return guard

    def _check_every_membership(
        self, users: Users, username: str, refusal: CloudOptimaError | None = None
    ) -> None:
        """Refuse unless the actor administers every organisation of ``username``.

        The refusal does not name the other organisations: they are not this admin's
        business.
        """
        foreign = [
            o for o in _memberships(users, username) if role_in(users, self.actor, o) != "admin"
        ]
        if foreign:
            raise refusal or CloudOptimaError(
                f"{username} also belongs to an organisation you do not administer: only an "
                "admin of every organisation they belong to, or `cloudoptima users` on the "
                "server, can change this account"
            )


def _memberships(users: Users, username: str) -> list[str]:
    return list((users.get(username) or {}).get("organisations") or {})


def _taken(username: str) -> CloudOptimaError:
    return CloudOptimaError(
        f"the username {username} belongs to an account of another organisation; "
        "choose another username"
    )
