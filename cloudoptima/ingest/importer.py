"""Run imports: one transaction per file, every attempt recorded in the import log."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cloudoptima.errors import CloudOptimaError, IngestError
from cloudoptima.ingest.cost_loader import load_costs
from cloudoptima.ingest.detect import Detected, detect
from cloudoptima.ingest.loaders import (
    load_inventory,
    load_metrics,
    load_reservation_recommendations,
)
from cloudoptima.ingest.manifest import expected_rows, find_manifests


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


def content_hash(path: Path, detected: Detected | None = None) -> str:
    """SHA-256 of a file, or of an export run's manifest and parts in order."""
    digest = hashlib.sha256()
    files = list(detected.parts) if detected and path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def import_one(con: duckdb.DuckDBPyConnection, path: Path, options: ImportOptions) -> ImportResult:
    """Import ``path`` atomically; failures are logged, never half-applied."""
    started = _now()
    import_id = _next_import_id(con)
    detected: Detected | None = None
    try:
        detected = detect(path, options.kind)
        digest = content_hash(path, detected)
        previous = _previous_import(con, digest)
        if previous is not None:
            return _log_skip(con, import_id, path, detected, digest, previous, started)
        con.execute("BEGIN TRANSACTION")
        try:
            info = _load(con, detected, import_id, options)
            _log(con, import_id, path, detected, digest, "loaded", started, info)
            if options.before_commit:
                options.before_commit(detected)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        _keep_raw(path, digest, options.raw_dir)
        return ImportResult(
            import_id,
            str(path),
            "loaded",
            detected.kind,
            detected.format,
            int(info.get("rows", 0)),
            str(info.get("message", "")),
        )
    except CloudOptimaError as exc:
        _log_failure(con, import_id, path, detected, started, str(exc))
        kind, fmt = (detected.kind, detected.format) if detected else (None, None)
        return ImportResult(import_id, str(path), "failed", kind, fmt, error=str(exc))


def _load(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int, options: ImportOptions
) -> dict[str, Any]:
    if detected.kind == "cost":
        load = load_costs(con, detected, import_id, currency=options.currency)
        _check_manifest_rows(detected, load.rows + load.stale_rows)
        return {
            "rows": load.rows,
            "dataset": load.dataset,
            "scope": load.scope,
            "billing_period_start": load.period_start,
            "billing_period_end": load.period_end,
            "message": _cost_message(load),
            "replaced": load.replaced_imports,
        }
    if detected.kind == "inventory":
        return load_inventory(con, detected, import_id, options.seen_at or _now())
    if detected.kind == "metrics":
        return load_metrics(con, detected, import_id)
    return load_reservation_recommendations(con, detected, import_id)


def _cost_message(load: Any) -> str:
    parts = [f"{load.rows} {load.dataset} cost rows"]
    if load.replaced_imports:
        ids = ", ".join(f"#{i}" for i in load.replaced_imports)
        parts.append(f"replaced {load.replaced_rows} rows of the older export {ids}")
    if load.stale_rows:
        parts.append(
            f"{load.stale_rows} rows kept out: a newer export of the same period is already loaded"
        )
    if load.ignored_columns:
        parts.append("ignored columns: " + ", ".join(load.ignored_columns[:8]))
    return "; ".join(parts)


def _check_manifest_rows(detected: Detected, loaded: int) -> None:
    promised = expected_rows(detected)
    if promised is not None and promised != loaded:
        raise IngestError(
            detected.path / "manifest.json",
            f"the manifest promises {promised} rows but the part files hold {loaded}: "
            "a part file is truncated or belongs to another run",
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()
    return int(row[0]) if row else 1


def _previous_import(con: duckdb.DuckDBPyConnection, digest: str) -> int | None:
    row = con.execute(
        "SELECT min(import_id) FROM imports WHERE content_hash = ? AND status = 'loaded'", [digest]
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


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
    digest: str,
    previous: int,
    started: datetime,
) -> ImportResult:
    message = f"already imported as #{previous}; nothing changed"
    _log(con, import_id, path, detected, digest, "skipped", started, {"message": message})
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
