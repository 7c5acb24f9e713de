"""Run imports: one transaction per file, every attempt recorded in the import log."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cloudoptima.errors import CloudOptimaError
from cloudoptima.ingest.detect import Detected, detect, format_of
from cloudoptima.ingest.fingerprint import Fingerprint
from cloudoptima.ingest.manifest import find_manifests
from cloudoptima.reference.currencies import check_currency


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


# Files kept in raw/ as they are: compressing them again gains nothing.
COMPRESSED = frozenset({".gz", ".parquet", ".zip", ".bz2", ".xz", ".zst", ".snappy"})


@dataclass(frozen=True)
class ImportOptions:
    """Choices that apply to every input of one ingest call."""

    kind: str | None = None
    currency: str | None = None
    seen_at: datetime | None = None  # snapshot time of inventory; default now
    raw_dir: Path | None = None
    # Test hook: called between loading and committing, to simulate a crash mid-import.
    before_commit: Callable[[Detected], None] | None = None


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files stay as given; a folder becomes its export runs, or else its files."""
    inputs: list[Path] = []
    for path in paths:
        if path.is_dir():
            runs = find_manifests(path)
            if runs:
                inputs.extend(m.parent for m in runs)
            else:
                inputs.extend(
                    p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")
                )
        else:
            inputs.append(path)
    return inputs


def import_one(con: duckdb.DuckDBPyConnection, path: Path, options: ImportOptions) -> ImportResult:
    """Import ``path`` atomically; failures are logged, never half-applied."""
    started = _now()
    import_id = _next_import_id(con)
    detected: Detected | None = None
    try:
        if options.currency is not None:
            # Refuse a bad --currency before reading anything: it would reach SQL otherwise.
            check_currency(options.currency, what="--currency")
        detected = detect(path, options.kind)
        return _import_detected(con, path, detected, import_id, options, started)
    except CloudOptimaError as exc:
        _log_failure(con, import_id, path, detected, started, str(exc))
        kind, fmt = (detected.kind, detected.format) if detected else (None, None)
        return ImportResult(import_id, str(path), "failed", kind, fmt, error=str(exc))


def _import_detected(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    detected: Detected,
    import_id: int,
    options: ImportOptions,
    started: datetime,
) -> ImportResult:
    con.execute("BEGIN TRANSACTION")
    # From here until settle(), the hash thread may interrupt any statement.
    fingerprint = Fingerprint(con, path, detected)
    try:
        info = _load(con, detected, import_id, options)
    except (CloudOptimaError, duckdb.Error):
        previous = fingerprint.settle()
        con.execute("ROLLBACK")
        # Content imported before is skipped, even when its load failed or was interrupted.
        if previous is None:
            raise
        return _log_skip(con, import_id, path, detected, fingerprint, previous, started)
    except BaseException:
        fingerprint.cancel()
        con.execute("ROLLBACK")
        raise
    previous = fingerprint.settle()
    if previous is not None:
        con.execute("ROLLBACK")
        return _log_skip(con, import_id, path, detected, fingerprint, previous, started)
    try:
        _log(con, import_id, path, detected, fingerprint.digest, "loaded", started, info)
        if options.before_commit:
            options.before_commit(detected)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    _keep_raw(path, fingerprint.digest, options.raw_dir)
    return ImportResult(
        import_id,
        str(path),
        "loaded",
        detected.kind,
        detected.format,
        int(info.get("rows", 0)),
        str(info.get("message", "")),
    )


def _load(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int, options: ImportOptions
) -> dict[str, Any]:
    return format_of(detected).load(con, detected, import_id, options)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()
    return int(row[0]) if row else 1


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
    con.execute(
        """INSERT INTO imports (import_id, file, content_hash, kind, format, version, dataset, rows,
           billing_period_start, billing_period_end, scope, status, error, message, started_at, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            import_id,
            str(path),
            digest,
            detected and detected.kind,
            detected and detected.format,
            detected and detected.version,
            info.get("dataset") or (detected and detected.dataset),
            info.get("rows", 0),
            info.get("billing_period_start"),
            info.get("billing_period_end"),
            info.get("scope"),
            status,
            error,
            info.get("message"),
            started,
            _now(),
        ],
    )
    for replaced in info.get("replaced", []):
        con.execute(
            """UPDATE imports SET status = 'replaced', message = concat(message, '; replaced by #', ?)
               WHERE import_id = ? AND NOT EXISTS (SELECT 1 FROM costs WHERE _import_id = ?)""",
            [import_id, replaced, replaced],
        )


def _log_skip(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    path: Path,
    detected: Detected,
    fingerprint: Fingerprint,
    previous: int,
    started: datetime,
) -> ImportResult:
    message = f"already imported as #{previous}; nothing changed"
    info = {"message": message}
    _log(con, import_id, path, detected, fingerprint.digest, "skipped", started, info)
    return ImportResult(import_id, str(path), "skipped", detected.kind, detected.format, 0, message)


def _log_failure(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    path: Path,
    detected: Detected | None,
    started: datetime,
    error: str,
) -> None:
    _log(con, import_id, path, detected, None, "failed", started, {}, error)


def _keep_raw(path: Path, digest: str, raw_dir: Path | None) -> None:
    """Keep a copy of what was imported: gzip-compressed, unless it already is."""
    if raw_dir is None:
        return
    target = raw_dir / digest[:16] / path.name
    if target.exists() or target.with_name(target.name + ".gz").exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        for part in sorted(p for p in path.rglob("*") if p.is_file()):
            _keep_file(part, target / part.relative_to(path))
        return
    _keep_file(path, target)


def _keep_file(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in COMPRESSED:
        try:
            os.link(path, target)  # nothing to gain: share the bytes when the disk allows it
        except OSError:
            shutil.copy2(path, target)
        return
    # Level 1: cost CSVs still shrink about tenfold, at a fraction of level 6's time.
    with path.open("rb") as source, gzip.open(f"{target}.gz", "wb", compresslevel=1) as out:
        shutil.copyfileobj(source, out, length=1 << 20)
