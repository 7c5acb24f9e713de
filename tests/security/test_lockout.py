"""The lockout holds under parallel attempts and tells nothing about which usernames exist."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import bcrypt
import pytest
from security_world import Accounts, fresh_app, log_in, one_session, shows_login_form

from cloudoptima.auth import MAX_LOGIN_ATTEMPTS, UserStore
from cloudoptima.auth.yamlfile import YamlFile
from cloudoptima.ui.shell import REFUSED

SESSIONS = 8


def _parallel_sessions(username: str, passwords: list[str]) -> list[list[str]]:
    """Each password submitted by its own process at the same moment; their error lists.

    Processes, not threads: AppTest keeps one runtime per process. A fork server
    that has imported the app once starts them quickly.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["security_world"])
    barrier = context.Barrier(len(passwords))
    errors = context.Queue()
    children = [
        context.Process(target=one_session, args=(dict(os.environ), barrier, username, p, errors))
        for p in passwords
    ]
    try:
        for child in children:
            child.start()
        shown = [errors.get(timeout=300) for _ in children]
    finally:
        for child in (c for c in children if c.pid is not None):
            child.join(timeout=60)
            if child.is_alive():
                child.kill()
    assert [c.exitcode for c in children] == [0] * len(children)
    return sorted(shown)


@pytest.fixture
def no_script_as_main(monkeypatch: pytest.MonkeyPatch) -> None:
    """An AppTest run leaves app.py as ``__main__``, which new processes would run first."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


@pytest.mark.slow
@pytest.mark.usefixtures("no_script_as_main")
def test_parallel_sessions_each_count_a_failure(accounts: Accounts) -> None:
    wrong = [f"guess-{n}" for n in range(SESSIONS)]
    shown = _parallel_sessions("val", wrong)
    assert shown == [[REFUSED]] * SESSIONS
    assert accounts.store.users()["val"]["failed_login_attempts"] == SESSIONS
    # locked: the right password is refused too, and does not reset the count
    at = log_in(fresh_app().run(), "val", accounts.passwords["val"])
    assert [e.value for e in at.error] == [REFUSED]
    assert shows_login_form(at)
    assert accounts.store.users()["val"]["failed_login_attempts"] == SESSIONS + 1


@pytest.mark.slow
@pytest.mark.usefixtures("no_script_as_main")
def test_the_right_password_racing_a_lockout_is_refused(accounts: Accounts) -> None:
    """Four wrong guesses, then a fifth wrong one and the right one at the same moment.

    Whichever is counted first, the account ends locked and the right password
    never opens a session once the fifth failure is in.
    """
    store = accounts.store
    for _ in range(MAX_LOGIN_ATTEMPTS - 1):
        store.record_failed_login("val")
    shown = _parallel_sessions("val", ["guess", accounts.passwords["val"]])
    failures = store.users()["val"]["failed_login_attempts"]
    if [] in shown:  # the right password went first: it cleared the count
        assert failures == 1
    else:
        assert shown == [[REFUSED], [REFUSED]]
        assert failures == MAX_LOGIN_ATTEMPTS + 1


def test_threads_counting_failures_lose_none(accounts: Accounts) -> None:
    """32 failures from 8 threads (the server's sessions are threads) all count."""
    store = accounts.store

    def four_failures(_: int) -> None:
        for _ in range(4):
            UserStore(store.path).record_failed_login("val")

    with ThreadPoolExecutor(SESSIONS) as pool:
        list(pool.map(four_failures, range(SESSIONS)))
    assert store.users()["val"]["failed_login_attempts"] == 4 * SESSIONS


@pytest.fixture
def work_counted(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts bcrypt checks and writes of the credentials file while a test runs."""
    counts = {"bcrypt": 0, "writes": 0}
    checkpw, save = bcrypt.checkpw, YamlFile._save

    def counted_checkpw(password: bytes, hashed: bytes) -> bool:
        counts["bcrypt"] += 1
        return checkpw(password, hashed)

    def counted_save(self: YamlFile, data: dict[str, Any]) -> None:
        counts["writes"] += self.path == accounts.store.path
        save(self, data)

    monkeypatch.setattr(bcrypt, "checkpw", counted_checkpw)
    monkeypatch.setattr(YamlFile, "_save", counted_save)
    return counts


def _refusal(username: str, password: str, counts: dict[str, int]) -> tuple[list[str], int, int]:
    at = fresh_app().run()
    counts.update(bcrypt=0, writes=0)
    at = log_in(at, username, password)
    assert shows_login_form(at)
    return [e.value for e in at.error], counts["bcrypt"], counts["writes"]


def test_every_refusal_looks_and_costs_the_same(
    accounts: Accounts, work_counted: dict[str, int]
) -> None:
    """Unknown user, wrong password, locked account (wrong or right password): one answer."""
    for _ in range(MAX_LOGIN_ATTEMPTS):
        accounts.store.record_failed_login("gil")
    same = ([REFUSED], 1, 1)  # the message, one bcrypt check, one locked write
    assert _refusal("nobody-here", "guess", work_counted) == same
    assert _refusal("val", "guess", work_counted) == same
    assert _refusal("gil", "guess", work_counted) == same
    assert _refusal("gil", accounts.passwords["gil"], work_counted) == same
    assert "nobody-here" not in accounts.store.users()  # unknown names are not stored


def test_reset_password_on_the_command_line_unlocks(accounts: Accounts) -> None:
    for _ in range(MAX_LOGIN_ATTEMPTS):
        accounts.store.record_failed_login("val")
    out = subprocess.run(
        [sys.executable, "-m", "cloudoptima", "users", "reset-password", "val"],
        capture_output=True,
        text=True,
        check=True,
    )
    password = out.stdout.rsplit(" ", 1)[-1].strip()
    at = log_in(fresh_app().run(), "val", password)
    assert not at.error
    assert not shows_login_form(at)
    assert accounts.store.users()["val"]["failed_login_attempts"] == 0


def test_a_successful_login_clears_earlier_failures(accounts: Accounts) -> None:
    for _ in range(MAX_LOGIN_ATTEMPTS - 1):
        accounts.store.record_failed_login("val")
    at = log_in(fresh_app().run(), "val", accounts.passwords["val"])
    assert not at.error
    assert accounts.store.users()["val"]["failed_login_attempts"] == 0
