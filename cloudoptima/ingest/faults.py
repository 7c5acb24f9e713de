"""Any failure of the machinery under an import becomes one sentence naming the file.

DuckDB, pyarrow, Polars, the file system and Python's own parsers raise their own
errors: a full disk (``Errno 28``), a file that vanished, JSON nested deeper than the
interpreter's stack, a damaged Parquet footer. Whatever stage of an import raises one
(detection, hashing, loading, archiving, committing), the user gets a
:class:`~cloudoptima.errors.IngestError` that says what happened to which file, never
a traceback. Programming errors (a ``TypeError`` in our own code) are not translated.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import zlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from cloudoptima.errors import CloudOptimaError, IngestError

# Raised by the engines themselves; anything else from pyarrow or Polars counts too.
ENGINE_ERRORS: tuple[type[BaseException], ...] = (
    duckdb.Error,
    OSError,
    RecursionError,
    MemoryError,
    UnicodeError,
    EOFError,
    zlib.error,
    csv.Error,
)
_ENGINE_MODULES = ("pyarrow", "polars", "duckdb", "_duckdb")
_DISK_FULL = "no space left on device"
_MAX_DETAIL = 160


def is_engine_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from an engine or the system rather than from our code."""
    if isinstance(exc, ENGINE_ERRORS):
        return True
    module = type(exc).__module__ or ""
    return isinstance(exc, Exception) and module.split(".")[0] in _ENGINE_MODULES


def describe(exc: BaseException) -> str:
    """What went wrong, as the end of a sentence that starts with the file's name."""
    text = str(exc)
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or _DISK_FULL in text.lower():
        return "the disk is full (no space left on device): free some space and import it again"
    if isinstance(exc, OSError):
        return _os_error(exc)
    if isinstance(exc, RecursionError):
        return "is nested too deeply to be read (more levels than any export has)"
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return "is too large to be read in the memory available"
    if isinstance(exc, UnicodeError):
        return "is not a readable UTF-8 text file"
    if isinstance(exc, duckdb.InterruptException):
        return "the import was interrupted"
    return f"could not be read ({type(exc).__name__}: {_first_line(text)})"


def _os_error(exc: OSError) -> str:
    reason = exc.strerror or _first_line(str(exc)) or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.EROFS:
        return f"cannot be written: the file system is read-only{where}"
    if isinstance(exc, PermissionError):
        return f"cannot be read or written: permission denied{where}"
    if isinstance(exc, FileNotFoundError):
        return f"was moved or deleted while it was being imported{where}"
    return f"could not be read or written: {reason}{where}"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= _MAX_DETAIL else line[: _MAX_DETAIL - 1] + "…"


def as_ingest_error(path: Path, exc: BaseException) -> IngestError:
    """The user error for an engine failure while importing ``path``."""
    if isinstance(exc, duckdb.Error):
        from cloudoptima.ingest.source import translate_csv_error

        csv_error = translate_csv_error(path, exc)
        if csv_error is not None:
            return csv_error
    return IngestError(path, describe(exc))


@contextlib.contextmanager
def engine_errors(path: Path) -> Iterator[None]:
    """Turn an engine failure inside the block into an IngestError naming ``path``."""
    try:
        yield
    except CloudOptimaError:
        raise
    except Exception as exc:
        if not is_engine_error(exc):
            raise
        raise as_ingest_error(path, exc) from exc
