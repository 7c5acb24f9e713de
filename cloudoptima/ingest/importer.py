"""Run imports: one transaction per file, every attempt recorded in the import log.

Each input is detected, loaded in its own transaction while a thread hashes it (and
counts its lines, and copies it to the raw archive), checked, logged and committed.
Whatever fails on the way, an engine error included (:mod:`.faults`), rolls the
transaction back and is logged as one sentence naming the file; the next input goes on.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cloudoptima.errors import CloudOptimaError, IngestError, WorkspaceError
from cloudoptima.ingest.amortization import expected_dataset
from cloudoptima.ingest.archive import RawArchive
from cloudoptima.ingest.detect import Detected, detect, format_of
from cloudoptima.ingest.faults import describe, engine_errors, is_engine_error
from cloudoptima.ingest.fingerprint import Fingerprint
from cloudoptima.ingest.lines import LineStats, mixed_endings, normalised_copy, too_long_error
from cloudoptima.ingest.manifest import find_manifests
from cloudoptima.ingest.sniff import Sniffed, sniff
from cloudoptima.reference.currencies import check_currency
from cloudoptima.storage.store import IMPORT_SCRATCH


@dataclass(frozen=True)
class ImportResult:
    """The outcome of importing one input, as recorded in the import log."""

    import_id: int
    file: str
    status: str  # loaded | skipped | failed
    kind: str | None = None
    format: str | None = None
    rows: int = 0
    message: str = ""
    error: str | None = None
    warning: str | None = None  # loaded, but overlapping an earlier import (see supersede)


@dataclass(frozen=True)
class ImportOptions:
    """Choices that apply to every input of one ingest call."""

    kind: str | None = None
    currency: str | None = None
    seen_at: datetime | None = None  # snapshot time of inventory; default now
    raw_dir: Path | None = None
    # Test hook: called between loading and committing, to simulate a crash mid-import.
    before_commit: Callable[[Detected], None] | None = None
    scratch_dir: Path | None = None  # default: IMPORT_SCRATCH beside the database


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files stay as given; a folder becomes its export runs, or else its files.

    A folder that cannot be listed stays an input of its own: its import then fails
    with a sentence, like any other input's.
    """
    inputs: list[Path] = []
    for path in paths:
        try:
            inputs.extend(_expand(path))
        except OSError:
            inputs.append(path)
    return inputs


def _expand(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    runs = find_manifests(path)
    if runs:
        return [m.parent for m in runs]
    return [p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def import_one(con: duckdb.DuckDBPyConnection, path: Path, options: ImportOptions) -> ImportResult:
    """Import ``path`` atomically; failures are logged, never half-applied."""
    started = _now()
    import_id = _next_import_id(con)
    detected: Detected | None = None
    try:
        with engine_errors(path):
            if options.currency is not None:
                # Refuse a bad --currency before reading anything: it would reach SQL otherwise.
                check_currency(options.currency, what="--currency")
            detected = detect(path, options.kind)
        return _Import(con, path, detected, import_id, options, started).run()
    except CloudOptimaError as exc:
        _log_failure(con, import_id, path, detected, started, str(exc))
        kind, fmt = (detected.kind, detected.format) if detected else (None, None)
        return ImportResult(import_id, str(path), "failed", kind, fmt, error=str(exc))


class _Import:
    """One input on its way in: attempts, checks, the skip or the commit."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        detected: Detected,
        import_id: int,
        options: ImportOptions,
        started: datetime,
    ) -> None:
        self.con, self.path, self.detected = con, path, detected
        self.import_id, self.options, self.started = import_id, options, started
        self.expected = expected_dataset(detected)
        self.scratch: list[Path] = []

    def run(self) -> ImportResult:
        archive = self._archive()
        fingerprint = Fingerprint(
            self.con, self.path, self.detected, expected=self.expected, archive=archive
        )
        try:
            outcome = self._attempt(self.detected, fingerprint)
            if isinstance(outcome, CloudOptimaError):
                previous = fingerprint.previous(self.expected)
                if previous is not None:  # imported before: its load was interrupted
                    return self._skip(fingerprint.digest, previous)
                outcome = self._retry(outcome, fingerprint.line_stats)
            dataset = outcome.get("dataset") or self.expected
            previous = fingerprint.previous(dataset)
            if previous is not None:
                _rollback(self.con)
                fingerprint.cancel()
                return self._skip(fingerprint.digest, previous, dataset)
            self._commit(outcome, fingerprint)
        except BaseException:
            fingerprint.cancel()
            raise
        finally:
            self._remove_scratch()
        return self._loaded(outcome)

    def _attempt(
        self, detected: Detected, fingerprint: Fingerprint | None
    ) -> dict[str, Any] | CloudOptimaError:
        """Load in a new transaction: the loader's info (transaction open) or its error."""
        with engine_errors(self.path):
            self.con.execute("BEGIN TRANSACTION")
        try:
            with engine_errors(self.path):
                info = format_of(detected).load(self.con, detected, self.import_id, self.options)
        except CloudOptimaError as exc:
            failure: CloudOptimaError | None = exc
        except BaseException:
            if fingerprint is not None:
                fingerprint.cancel()
            _rollback(self.con)
            raise
        else:
            failure = None
        try:
            # Settle before any rollback: the hash thread may interrupt until then.
            if fingerprint is not None:
                with engine_errors(self.path):
                    fingerprint.settle(keep_copy=failure is None)
        except BaseException:
            _rollback(self.con)
            raise
        if failure is not None:
            _rollback(self.con)
            return failure
        return info

    def _retry(self, failure: CloudOptimaError, stats: dict[Path, LineStats]) -> dict[str, Any]:
        """Read a normalised copy when line endings are mixed; else raise the clearest error."""
        for part, part_stats in stats.items():
            if (too_long := too_long_error(part, part_stats)) is not None:
                raise too_long from failure
        if not stats or not self._mixed_endings():
            raise failure
        outcome = self._attempt(self._normalised(), None)
        if isinstance(outcome, CloudOptimaError):
            raise outcome
        return outcome

    def _mixed_endings(self) -> bool:
        with engine_errors(self.path):
            return any(
                mixed_endings(part, sniff(part).compression == "gzip")
                for part in self.detected.parts
            )

    def _normalised(self) -> Detected:
        """The detected input read from copies with CR LF turned into LF (same line numbers)."""
        folder = _scratch_dir(self.con, self.options) / uuid.uuid4().hex[:12]
        self.scratch.append(folder)
        with engine_errors(self.path):
            parts = []
            for index, part in enumerate(self.detected.parts):
                compressed = sniff(part).compression == "gzip"
                # numbered: parts of a run may share a name in different sub-folders
                target = folder / f"{index:05d}-{part.name}"
                parts.append(normalised_copy(part, compressed, target))
            return replace(self.detected, parts=tuple(parts), sniffed=sniff(parts[0]))

    def _commit(self, info: dict[str, Any], fingerprint: Fingerprint) -> None:
        try:
            with engine_errors(self.path):
                check_rows(self.detected, info.get("read_rows"), fingerprint.line_stats)
                if fingerprint.archive is not None:
                    fingerprint.archive.write(fingerprint.digest)  # no-op once written
                    fingerprint.archive.publish()
                self._log(fingerprint.digest, "loaded", info)
                if self.options.before_commit:
                    self.options.before_commit(self.detected)
                self.con.execute("COMMIT")
        except BaseException:
            _rollback(self.con)
            if fingerprint.archive is not None:
                fingerprint.archive.unpublish()  # a full disk must not keep what failed
            raise

    def _archive(self) -> RawArchive | None:
        if self.options.raw_dir is None:
            return None
        return RawArchive(self.options.raw_dir, self.path, self.detected.parts)

    def _skip(self, digest: str, previous: int, dataset: str | None = None) -> ImportResult:
        message = f"already imported as #{previous}; nothing changed"
        info = {"message": message, "dataset": dataset or self.expected}
        with engine_errors(self.path):
            self._log(digest, "skipped", info)
        d = self.detected
        return ImportResult(self.import_id, str(self.path), "skipped", d.kind, d.format, 0, message)

    def _log(self, digest: str, status: str, info: dict[str, Any]) -> None:
        _log(self.con, self.import_id, self.path, self.detected, digest, status, self.started, info)

    def _loaded(self, info: dict[str, Any]) -> ImportResult:
        d = self.detected
        return ImportResult(
            self.import_id,
            str(self.path),
            "loaded",
            d.kind,
            d.format,
            int(info.get("rows", 0)),
            str(info.get("message", "")),
            warning=info.get("warning"),
        )

    def _remove_scratch(self) -> None:
        for folder in self.scratch:
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                folder.parent.rmdir()  # the scratch root, once no import uses it


def check_rows(detected: Detected, read_rows: int | None, stats: dict[Path, LineStats]) -> None:
    """Refuse an import whose reader returned fewer rows than the file holds.

    DuckDB's CSV reader skips a row longer than its buffer without an error; the
    line counts of the hashing pass tell such a drop from quoted line breaks.
    """
    for part, part_stats in stats.items():
        if (too_long := too_long_error(part, part_stats)) is not None:
            raise too_long
    if read_rows is None or not stats:
        return
    expected = sum(s.data_rows(_header_lines(detected, p)) for p, s in stats.items())
    if read_rows == expected:
        return
    held = sum(sum(1 for _ in _sniffed(detected, part).csv_rows()) for part in stats)
    if read_rows != held:
        raise IngestError(
            detected.path,
            f"holds {held:,} rows but only {read_rows:,} could be read: a row is damaged "
            "or far longer than the others; nothing was imported",
        )


def _sniffed(detected: Detected, part: Path) -> Sniffed:
    if part == detected.parts[0] and detected.sniffed is not None:
        return detected.sniffed
    return sniff(part)


def _header_lines(detected: Detected, part: Path) -> int:
    return _sniffed(detected, part).header.skip_lines + 1


def _scratch_dir(con: duckdb.DuckDBPyConnection, options: ImportOptions) -> Path:
    """Where normalised copies go: beside the database (same disk), else the system's temp."""
    if options.scratch_dir is not None:
        return options.scratch_dir
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row and row[0]:
        return Path(str(row[0])).parent / IMPORT_SCRATCH
    return Path(tempfile.gettempdir()) / f"cloudoptima{IMPORT_SCRATCH}"


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if any (a failed COMMIT may have ended it)."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()
    return int(row[0]) if row else 1


_LOG_COLUMNS = (
    "rows",
    "billing_period_start",
    "billing_period_end",
    "scope",
    "message",
    "first_day",
    "last_day",
    "scope_source",
    "exported_at",
    "replaced",
    "replaced_rows",
    "overlapping",
)


def _log(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    path: Path,
    detected: Detected | None,
    digest: str | None,
    status: str,
    started: datetime,
    info: dict[str, Any],
    error: str | None = None,
) -> None:
    names = ", ".join(_LOG_COLUMNS)
    marks = ", ".join("?" for _ in _LOG_COLUMNS)
    con.execute(
        f"""INSERT INTO imports (import_id, file, content_hash, kind, format, version, dataset,
            status, error, started_at, finished_at, {names})
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {marks})""",
        [
            import_id,
            str(path),
            digest,
            detected and detected.kind,
            detected and detected.format,
            detected and detected.version,
            info.get("dataset") or (detected and detected.dataset),
            status,
            error,
            started,
            _now(),
            *(info.get(c, 0 if c == "rows" else None) for c in _LOG_COLUMNS),
        ],
    )


def _log_failure(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    path: Path,
    detected: Detected | None,
    started: datetime,
    error: str,
) -> None:
    """Record a failed import; if even that fails (a full disk), the whole write stops."""
    try:
        _log(con, import_id, path, detected, None, "failed", started, {}, error)
    except Exception as exc:
        if not is_engine_error(exc):
            raise
        raise WorkspaceError(
            f"{error}; the workspace could not record it either: {describe(exc)}"
        ) from exc
