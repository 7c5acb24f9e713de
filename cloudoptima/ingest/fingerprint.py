"""The content hash that tells a file imported before, computed beside the load."""

from __future__ import annotations

import hashlib
from pathlib import Path
from threading import Event, Thread

import duckdb

from cloudoptima.ingest.detect import Detected


def content_hash(path: Path, detected: Detected | None = None, stop: Event | None = None) -> str:
    """SHA-256 of a file, or of an export run's manifest and parts in order."""
    digest = hashlib.sha256()
    files = list(detected.parts) if detected and path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                if stop is not None and stop.is_set():
                    return ""
                digest.update(chunk)
    return digest.hexdigest()


class Fingerprint:
    """The content hash, computed in a thread while the file loads.

    Hashing a large export takes about an eighth of loading it, on a core the load
    leaves partly idle. A hash already in the import log interrupts the load (again
    and again, until the importer settles, since an interrupt between two statements
    is lost), so a file offered again costs little more than its hash, as before.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, detected: Detected) -> None:
        self._con = con
        self._known = loaded_hashes(con)
        self._settled = Event()  # the importer stopped loading: no more interrupts
        self._cancelled = Event()  # the import is abandoned: stop hashing
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._thread = Thread(target=self._run, args=(path, detected), name="content-hash")
        self._thread.start()

    def _run(self, path: Path, detected: Detected) -> None:
        try:
            self._digest = content_hash(path, detected, self._cancelled)
        except BaseException as exc:  # handed to the importing thread by settle()
            self._error = exc
            return
        if self._digest in self._known:
            while not self._settled.wait(0.02):
                self._con.interrupt()

    def settle(self) -> int | None:
        """Stop interrupting, wait for the hash; the import that loaded it before, if any."""
        while self._digest is None and self._error is None and self._thread.is_alive():
            self._thread.join(0.05)
        self._settled.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._known.get(self.digest)

    @property
    def digest(self) -> str:
        """The hash (after :meth:`settle`)."""
        assert self._digest is not None
        return self._digest

    def cancel(self) -> None:
        """Stop hashing and interrupting (the import is abandoned)."""
        self._cancelled.set()
        self._settled.set()
        self._thread.join()


def loaded_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Content hash -> the first import that loaded it."""
    rows = con.execute(
        "SELECT content_hash, min(import_id) FROM imports WHERE status = 'loaded' GROUP BY 1"
    ).fetchall()
    return {str(digest): int(first) for digest, first in rows}
