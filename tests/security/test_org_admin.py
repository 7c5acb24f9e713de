"""An organisation admin changes only accounts that live wholly in organisations they administer.

The world: ann administers acme; bob administers acme and globex; val is a viewer
in acme and an analyst in globex; gil is an analyst in globex only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import bcrypt
import pytest
from security_world import Accounts, logged_in_as

from cloudoptima import CloudOptimaError
from cloudoptima.auth import MAX_LOGIN_ATTEMPTS
from cloudoptima.auth.admin import OrganisationAdmin

ACTIONS: dict[str, Callable[[OrganisationAdmin], object]] = {
    "reset password": lambda admin: admin.reset_password("val"),
    "change role": lambda admin: admin.set_role("val", "analyst"),
    "remove": lambda admin: admin.remove("val"),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_an_admin_of_one_organisation_cannot_change_a_shared_account(
    accounts: Accounts, action: str
) -> None:
    before = copy.deepcopy(accounts.store.users())
    ann = OrganisationAdmin(accounts.store, "ann", "acme")
    with pytest.raises(CloudOptimaError, match="organisation you do not administer") as refused:
        ACTIONS[action](ann)
    assert "globex" not in str(refused.value)  # the other organisation is not named
    assert accounts.store.users() == before  # nothing changed, not even a lockout count


def test_an_admin_of_every_membership_can(accounts: Accounts) -> None:
    bob = OrganisationAdmin(accounts.store, "bob", "acme")
    bob.set_role("val", "analyst")
    assert accounts.store.users()["val"]["organisations"] == {
        "acme": "analyst",
        "globex": "analyst",
    }
    bob.reset_password("val")
    stored = accounts.store.users()["val"]["password"]
    assert not bcrypt.checkpw(accounts.passwords["val"].encode(), stored.encode())
    bob.remove("val")
    assert "val" not in accounts.store.users()


def test_adding_an_account_of_another_organisation_is_refused(accounts: Accounts) -> None:
    ann = OrganisationAdmin(accounts.store, "ann", "acme")
    with pytest.raises(CloudOptimaError, match="belongs to an account of another organisation"):
        ann.add_user("gil", "viewer", name=None, email=None)
    assert accounts.store.users()["gil"]["organisations"] == {"globex": "analyst"}


def test_an_admin_of_the_accounts_organisations_may_add_it_with_its_password(
    accounts: Accounts,
) -> None:
    bob = OrganisationAdmin(accounts.store, "bob", "acme")
    assert bob.add_user("GIL", "viewer", name=None, email=None) is None  # no new password
    gil = accounts.store.users()["gil"]
    assert gil["organisations"] == {"globex": "analyst", "acme": "viewer"}
    assert bcrypt.checkpw(accounts.passwords["gil"].encode(), gil["password"].encode())
    with pytest.raises(CloudOptimaError, match="is a member already"):
        bob.add_user("gil", "admin", name=None, email=None)


def test_an_account_of_no_organisation_is_left_to_the_command_line(accounts: Accounts) -> None:
    accounts.store.set_role("gil", "viewer", org="acme")  # bob's, then out of every org
    with accounts.store.file.edit() as data:
        data["credentials"]["usernames"]["gil"]["organisations"] = {}
    bob = OrganisationAdmin(accounts.store, "bob", "acme")
    with pytest.raises(CloudOptimaError, match="another organisation"):
        bob.add_user("gil", "viewer", name=None, email=None)


def test_a_new_user_gets_a_password(accounts: Accounts) -> None:
    ann = OrganisationAdmin(accounts.store, "ann", "acme")
    password = ann.add_user("dana", "analyst", name="Dana", email=None)
    assert password
    assert accounts.store.users()["dana"]["organisations"] == {"acme": "analyst"}


def test_any_admin_of_the_accounts_organisations_can_lift_its_lockout(accounts: Accounts) -> None:
    for _ in range(MAX_LOGIN_ATTEMPTS):
        accounts.store.record_failed_login("val")
    hash_before = accounts.store.users()["val"]["password"]
    OrganisationAdmin(accounts.store, "ann", "acme").unlock("val")  # val is also in globex
    val = accounts.store.users()["val"]
    assert val["failed_login_attempts"] == 0
    assert val["password"] == hash_before  # unlocking grants ann nothing
    with pytest.raises(CloudOptimaError, match="not a member of this organisation"):
        OrganisationAdmin(accounts.store, "ann", "acme").unlock("gil")


def test_members_of_other_organisations_are_out_of_reach(accounts: Accounts) -> None:
    ann = OrganisationAdmin(accounts.store, "ann", "acme")
    for act in (
        lambda: ann.reset_password("gil"),
        lambda: ann.set_role("gil", "admin"),
        lambda: ann.remove("gil"),
    ):
        with pytest.raises(CloudOptimaError, match="not a member of this organisation"):
            act()


def test_the_check_is_made_when_the_change_is_made(accounts: Accounts) -> None:
    """An admin demoted after the page opened can no longer change anyone."""
    ann = OrganisationAdmin(accounts.store, "ann", "acme")
    accounts.store.set_role("ann", "viewer", org="acme")  # bob stays admin
    accounts.store.add_user("eve", org="acme", role="viewer")
    with pytest.raises(CloudOptimaError, match="not an admin of 'acme'"):
        ann.reset_password("eve")
    with pytest.raises(CloudOptimaError, match="not an admin of 'acme'"):
        ann.add_user("mallory", "admin", name=None, email=None)
    assert "mallory" not in accounts.store.users()


def test_a_membership_added_elsewhere_is_seen(accounts: Accounts) -> None:
    accounts.store.add_user("eve", org="acme", role="viewer")
    ann = OrganisationAdmin(accounts.store, "ann", "acme")  # the page opens
    accounts.store.set_role("eve", "viewer", org="globex")  # the command line, meanwhile
    with pytest.raises(CloudOptimaError, match="organisation you do not administer"):
        ann.reset_password("eve")


def test_the_settings_page_refuses_the_takeover(accounts: Accounts) -> None:
    """The probe: acme's admin resets the password of val, who also sees globex."""
    hash_before = accounts.store.users()["val"]["password"]
    at = logged_in_as("ann", "acme")
    at.switch_page("pages/settings.py").run()
    at.selectbox(key="settings_user").set_value("val").run()
    at.button(key="settings_reset_password").click().run()
    assert not at.exception
    assert any("organisation you do not administer" in e.value for e in at.error)
    assert not at.code  # no password shown
    assert accounts.store.users()["val"]["password"] == hash_before


def test_the_settings_page_unlocks(accounts: Accounts) -> None:
    for _ in range(MAX_LOGIN_ATTEMPTS):
        accounts.store.record_failed_login("val")
    at = logged_in_as("ann", "acme")
    at.switch_page("pages/settings.py").run()
    at.selectbox(key="settings_user").set_value("val").run()
    at.button(key="settings_unlock").click().run()
    assert not at.exception
    # success messages are Markdown with the name escaped (it is data)
    assert [s.value.replace("\\", "") for s in at.success] == ["Unlocked val."]
    assert accounts.store.users()["val"]["failed_login_attempts"] == 0
