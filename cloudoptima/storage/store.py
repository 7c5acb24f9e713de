"""Versioned workspace files that let readers work while an import runs.

DuckDB lets one process write a database file, or many processes read it, never
both at once. A workspace therefore keeps its data as numbered *generations*:
``db-000007.duckdb`` plus a ``CURRENT`` file naming the live one. A writer copies
the live generation, changes the copy, and publishes it by atomically replacing
``CURRENT``. Readers open the live generation read-only and never wait; a failed
or interrupted write leaves the live generation untouched, which is also what
makes every import atomic.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cloudoptima.errors import WorkspaceError
from cloudoptima.storage.locks import locked
from cloudoptima.storage.migrations import migrate

_GENERATION = re.compile(r"^db-(\d{6})\.duckdb$")
# Old generations stay on disk a little while for readers that just read CURRENT.
_KEEP_GENERATIONS = 3
POINTER = "CURRENT"
POINTER_TMP = ".CURRENT.tmp"
# Temporary files other parts of a write keep in the workspace: import scratch copies
# (cloudoptima.ingest.importer) and unfinished raw archive copies (ingest.archive).
IMPORT_SCRATCH = ".import-tmp"
RAW_TEMPORARIES = "raw/.tmp-*"


@dataclass(frozen=True)
class WriteTx:
    """An open write: the connection to the new generation and the number it will publish as."""

    con: duckdb.DuckDBPyConnection
    generation: int


def configure(
    con: duckdb.DuckDBPyConnection, *, memory_limit: str | None = None, progress_bar: bool = False
) -> None:
    """Apply the session settings every workspace connection relies on."""
    # Costs are stored as naive UTC timestamps; a UTC session keeps casts honest.
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        # Bulk loads need no row order (queries sort explicitly); dropping it lets
        # DuckDB stream a large export in parallel in bounded memory (measured:
        # 1M FOCUS rows 15.8 s -> 6.7 s at a 1 GB limit, see bench/ingest.py).
        con.execute("SET preserve_insertion_order = false")
    if progress_bar:
        # DuckDB's own bar shows progress inside one long statement (a large export).
        # In Jupyter DuckDB wants ipywidgets for it; without them we simply go without.
        with contextlib.suppress(duckdb.Error):
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = true")


class Store:
    """The generations of one workspace's database under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pointer = root / POINTER
        self._lock_path = root / ".write.lock"

    # -- reading -----------------------------------------------------------
    def generation(self) -> int:
        """Number of the live generation (0 when nothing was written yet)."""
        name = self._live_name()
        match = _GENERATION.match(name) if name else None
        return int(match.group(1)) if match else 0

    def live_path(self) -> Path | None:
        """Path of the live database file, or None for a new workspace."""
        name = self._live_name()
        return self.root / name if name else None

    def _live_name(self) -> str | None:
        try:
            return self._pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def connect_reader(self) -> tuple[duckdb.DuckDBPyConnection, int]:
        """Open the live generation read-only; return the connection and its number."""
        for _attempt in range(5):
            generation = self.generation()
            path = self.live_path()
            if path is None:
                raise WorkspaceError(f"workspace {self.root} holds no data yet")
            try:
                con = duckdb.connect(str(path), read_only=True)
            except duckdb.IOException as exc:
                # A writer may have published and pruned between our two reads.
                if path.exists():
                    raise WorkspaceError(f"cannot open {path}: {exc}") from exc
                continue
            configure(con)
            return con, generation
        missing = self.live_path()
        raise WorkspaceError(
            f"the workspace {self.root} is damaged: its live database {missing} is missing"
        )

    def exists(self) -> bool:
        """True when ``root`` holds a workspace (its ``CURRENT`` pointer)."""
        return self._pointer.is_file()

    # -- writing -----------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise with every other writer of this workspace, in any process."""
        with locked(self._lock_path, what=f"the workspace {self.root}"):
            yield

    @contextlib.contextmanager
    def write(
        self, *, memory_limit: str | None = None, progress_bar: bool = False
    ) -> Iterator[WriteTx]:
        """Yield a read-write connection to a new generation; publish it on success.

        A failure of the disk or the database engine anywhere in the write (a full disk
        while copying, importing or publishing) becomes a WorkspaceError sentence, and
        every temporary file of the write is removed: the live generation stays as it was.
        """
        with storage_errors(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
        with self.lock():
            with storage_errors(self.root):
                self._purge_leftovers()
                number = self.generation() + 1
            target = self.root / f"db-{number:06d}.duckdb"
            scratch = self.root / f".db-{number:06d}.duckdb.tmp"
            con = self._open_scratch(scratch, memory_limit, progress_bar)
            try:
                with storage_errors(self.root):
                    yield WriteTx(con, number)
                    con.execute("CHECKPOINT")
                    con.close()
                    self._publish(scratch, target)
            except BaseException:
                con.close()
                self._discard(scratch)
                raise

    def _open_scratch(
        self, scratch: Path, memory_limit: str | None, progress_bar: bool
    ) -> duckdb.DuckDBPyConnection:
        """Copy the live generation to ``scratch`` and open it; nothing stays if that fails."""
        live = self.live_path()
        try:
            with storage_errors(self.root):
                if live is not None:
                    shutil.copyfile(live, scratch)
                con = duckdb.connect(str(scratch))
        except BaseException:
            self._discard(scratch)
            raise
        try:
            with storage_errors(self.root):
                configure(con, memory_limit=memory_limit, progress_bar=progress_bar)
                migrate(con)
        except BaseException:
            con.close()
            self._discard(scratch)
            raise
        return con

    def _publish(self, scratch: Path, target: Path) -> None:
        _fsync(scratch)
        scratch.replace(target)
        pointer_tmp = self.root / POINTER_TMP
        try:
            pointer_tmp.write_text(target.name + "\n", encoding="utf-8")
            _fsync(pointer_tmp)
            pointer_tmp.replace(self._pointer)
        except BaseException:
            # CURRENT still names the old generation; the new file is overwritten next time.
            pointer_tmp.unlink(missing_ok=True)
            raise
        _fsync(self.root)
        self._prune()

    def _prune(self) -> None:
        generations = sorted(p for p in self.root.iterdir() if _GENERATION.match(p.name))
        for old in generations[:-_KEEP_GENERATIONS]:
            # Readers holding an old file open keep reading it: unlink frees it later.
            old.unlink(missing_ok=True)

    def _purge_leftovers(self) -> None:
        """Remove what an interrupted write left behind (under the lock: no writer runs).

        A write killed mid-way (kill -9, power cut) leaves its scratch copy, DuckDB's
        spill folder, a half-written pointer, import scratch files and unfinished raw
        archive copies; on a full disk they are what keeps it full.
        """
        leftovers = [
            *self.root.glob(".db-*.duckdb.tmp*"),
            self.root / POINTER_TMP,
            self.root / IMPORT_SCRATCH,
            *self.root.glob(RAW_TEMPORARIES),
        ]
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):  # best effort: the write goes on regardless
                    path.unlink(missing_ok=True)

    @staticmethod
    def _discard(scratch: Path) -> None:
        scratch.unlink(missing_ok=True)
        Path(str(scratch) + ".wal").unlink(missing_ok=True)
        shutil.rmtree(Path(str(scratch) + ".tmp"), ignore_errors=True)


@contextlib.contextmanager
def storage_errors(root: Path) -> Iterator[None]:
    """Turn a disk or database engine failure into a WorkspaceError sentence."""
    try:
        yield
    except (duckdb.Error, OSError, sqlite3.Error) as exc:
        raise WorkspaceError(f"cannot write the workspace {root}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "the disk is full (no space left on device); free some space and try again"
        if exc.errno == errno.EROFS:
            return "the file system is read-only"
        if isinstance(exc, PermissionError):
            return f"permission denied ({exc.filename})" if exc.filename else "permission denied"
        return exc.strerror or text
    if "no space left on device" in text.lower() or "disk is full" in text.lower():
        return "the disk is full (no space left on device); free some space and try again"
    return text[:200]


def _fsync(path: Path) -> None:
    if path.is_dir() and not hasattr(os, "O_DIRECTORY"):
        return  # Windows cannot open a folder to flush it; its renames are durable already
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
