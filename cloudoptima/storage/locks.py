"""Portable file locks (``filelock``) for every read-modify-write of a shared file.

Works on Linux, macOS and Windows; a lock that cannot be taken in time, or a lock
file that cannot be created (a read-only folder), becomes one plain sentence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import filelock

from cloudoptima.errors import WorkspaceError

DEFAULT_TIMEOUT_S = 600.0


@contextlib.contextmanager
def locked(path: Path, *, what: str, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[None]:
    """Hold the exclusive lock ``path`` while the block runs.

    ``what`` names the thing protected, for the error message: "another import into
    the workspace /data/acme is still running".
    """
    lock = filelock.FileLock(str(path), timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise WorkspaceError(f"{what} is busy: another process still holds {path}") from None
    except PermissionError:
        raise WorkspaceError(
            f"cannot write to {path.parent}: the folder is read-only for this user"
        ) from None
    except OSError as exc:
        raise WorkspaceError(f"cannot lock {path}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        lock.release()
