"""Load one cost export into the ``costs`` table and replace what it supersedes.

The cost formats register here: FOCUS (:mod:`cloudoptima.ingest.focus`) and the Cost
Management flavours EA, MCA, MPA and PAYG (:mod:`cloudoptima.ingest.azure_exports`).
Every one of them loads through :func:`load_cost_export`; :mod:`.supersede` then
replaces older deliveries of the same period so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import duckdb

from cloudoptima.errors import IngestError
from cloudoptima.ingest import azure_exports, focus
from cloudoptima.ingest.amortization import settle_dataset
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.export_identity import identity_of
from cloudoptima.ingest.formats import Format, register
from cloudoptima.ingest.lookups import register_lookups
from cloudoptima.ingest.manifest import expected_rows
from cloudoptima.ingest.plausible import check_plausible
from cloudoptima.ingest.sniff import sniff
from cloudoptima.ingest.source import (
    Source,
    csv_relation,
    file_list,
    locate_value,
    source_of,
    translate_csv_error,
)
from cloudoptima.ingest.sqltypes import missing_error, parse_failure
from cloudoptima.ingest.supersede import CostLoad, resolve_overlaps, scope_of, summarise
from cloudoptima.storage.schema import COST_COLUMNS
from cloudoptima.storage.sql import quote_ident, quote_literal

if TYPE_CHECKING:
    from cloudoptima.ingest.importer import ImportOptions

_PROBLEMS = {
    "number": "'{value}' is not a number",
    "large": "'{value}' is too large a number to be an amount or a quantity",
    "date": "'{value}' is not a date Azure writes (ISO 8601, MM/dd/yyyy or M/d/yyyy)",
    "boolean": "'{value}' is not true or false",
    "json": "'{value}' is not a JSON object of tags",
    "missing": "the value is empty but every cost row needs one",
}


def load_cost_export(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int, options: ImportOptions
) -> dict[str, Any]:
    """The loader of every cost format: rows, period, scope and the import-log message."""
    load = load_costs(con, detected, import_id, currency=options.currency)
    _check_manifest_rows(detected, load.read_rows)
    return {
        "rows": load.rows,
        "read_rows": load.read_rows,
        "dataset": load.dataset,
        "scope": load.scope,
        "scope_source": load.identity.source,
        "exported_at": load.identity.exported_at,
        "billing_period_start": load.period_start,
        "billing_period_end": load.period_end,
        "first_day": load.first_day,
        "last_day": load.last_day,
        "replaced": "; ".join(r.describe() for r in load.replaced) or None,
        "replaced_rows": load.replaced_rows,
        "overlapping": "; ".join(o.describe() for o in load.overlaps) or None,
        "warning": "; ".join(o.warning() for o in load.overlaps) or None,
        "message": cost_message(load),
    }


def load_costs(
    con: duckdb.DuckDBPyConnection,
    detected: Detected,
    import_id: int,
    *,
    currency: str | None = None,
) -> CostLoad:
    """Insert the rows of ``detected`` under ``import_id``; raise IngestError on bad input."""
    src = source_of(detected)
    if detected.format == "focus":
        load = CostLoad("focus")
        raw = _focus_mapping(detected, src, load)
        if detected.file_type == "csv":
            _insert_focus_csv(con, detected, src, raw, import_id)
        else:
            _insert(con, detected, src, _focus_exprs(raw), None, import_id, "focus")
    else:
        register_lookups(con)
        exprs, joins, load, raw = _plan_legacy(detected, src, currency)
        _insert(con, detected, src, exprs, joins, import_id, load.dataset)
        if detected.dataset is None:
            load.dataset, note = settle_dataset(con, detected, import_id)
            load.notes.extend([note] if note else [])
    check_plausible(con, detected, import_id, src, raw)
    summarise(con, import_id, load)
    load.read_rows = load.rows
    load.identity = identity_of(detected)
    resolve_overlaps(con, import_id, load)
    if load.stale_rows:
        summarise(con, import_id, load)
    load.scope = scope_of(con, load, import_id)
    return load


def cost_message(load: CostLoad) -> str:
    """The import-log message of a cost import."""
    parts = [f"{load.rows} {load.dataset} cost rows", *load.notes]
    if load.replaced:
        ids = ", ".join(f"#{r.import_id}" for r in load.replaced)
        parts.append(f"replaced {load.replaced_rows} rows of the older export {ids}")
    if load.stale_rows:
        parts.append(
            f"{load.stale_rows} rows kept out: a newer delivery of the same export is already loaded"
        )
    if load.overlaps:
        ids = ", ".join(f"#{o.import_id}" for o in load.overlaps)
        parts.append(f"overlaps {ids}, both kept (see overlapping)")
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


def _focus_mapping(detected: Detected, src: Source, load: CostLoad) -> dict[str, tuple[str, str]]:
    mapped, load.ignored_columns = focus.map_columns(src.cells, src.refs)
    missing = [c for c in focus.REQUIRED if c not in mapped]
    if missing:
        raise IngestError(detected.path, f"this FOCUS file lacks the required column {missing[0]}")
    return mapped


def _focus_exprs(mapped: dict[str, tuple[str, str]], typed: Collection[str] = ()) -> dict[str, str]:
    return _required(focus.focus_select(mapped, typed), mapped, focus.REQUIRED)


def _insert_focus_csv(
    con: duckdb.DuckDBPyConnection,
    detected: Detected,
    src: Source,
    mapped: dict[str, tuple[str, str]],
    import_id: int,
) -> None:
    """Let the CSV reader parse numbers and timestamps itself; a cell it refuses goes the slow way.

    The reader keeps refused rows aside (``store_rejects``) instead of failing, so
    the transaction stays usable: the rows are then loaded again from text, where
    :mod:`.sqltypes` either accepts the value or names its row, line and column.
    """
    typed = focus.reader_types(mapped)
    rejects = f"_rejects_{import_id}"
    columns = {ref: typed.get(ref, "VARCHAR") for ref in src.refs}
    relation = csv_relation(
        file_list(detected.parts),
        detected.sniffed or sniff(detected.parts[0]),
        columns,
        store_rejects="true",
        rejects_table=quote_literal(rejects),
        rejects_scan=quote_literal(f"{rejects}_scan"),
    )
    fast = Source(relation, src.cells, src.refs)
    _insert(con, detected, fast, _focus_exprs(mapped, typed), None, import_id, "focus")
    refused = con.execute(f"SELECT count(*) FROM {quote_ident(rejects)}").fetchone()
    if (refused and refused[0]) or _misread_dates(con, mapped, typed, import_id):
        con.execute("DELETE FROM costs WHERE _import_id = ?", [import_id])
        _insert(con, detected, src, _focus_exprs(mapped), None, import_id, "focus")
    for table in (rejects, f"{rejects}_scan"):
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")


def _misread_dates(
    con: duckdb.DuckDBPyConnection,
    mapped: dict[str, tuple[str, str]],
    typed: dict[str, str],
    import_id: int,
) -> bool:
    """Whether the reader stored a timestamp the text path reads otherwise.

    A year before 1000 is a short date misread ('3/1/21'); a year after 9999 is text the
    text path refuses, naming its row.
    """
    columns = [c for c, (ref, _) in mapped.items() if typed.get(ref) == focus.READER_TIMESTAMP]
    if not columns:
        return False
    listed = ", ".join(quote_ident(c) for c in columns)
    found = con.execute(
        f"""SELECT count(*) FROM costs WHERE _import_id = ?
            AND (least({listed}) < ?::TIMESTAMP OR year(greatest({listed})) > 9999)""",
        [import_id, focus.EARLIEST_READER_TIMESTAMP],
    ).fetchone()
    return bool(found and found[0])


def _plan_legacy(
    detected: Detected, src: Source, currency: str | None
) -> tuple[dict[str, str], tuple[str, str], CostLoad, dict[str, tuple[str, str]]]:
    cols = azure_exports.LegacyColumns(src.cells, src.refs)
    _check_legacy_columns(detected, cols, currency)
    # Unknown (None): both cost columns are filled and the stored rows decide later.
    dataset = detected.dataset
    load = CostLoad(dataset or "actual")
    exprs = azure_exports.focus_select(cols, dataset, currency)
    required = {
        "cost": "EffectiveCost" if dataset == "amortized" else "BilledCost",
        "date": "ChargePeriodStart",
    }
    mapped = {required[f]: cols.fields[f] for f in required}
    if cols.has("currency"):
        mapped["BillingCurrency"] = cols.fields["currency"]
    raw = {column: cols.fields[f] for column, f in azure_exports.RAW_FIELDS.items() if cols.has(f)}
    return _required(exprs, mapped, tuple(mapped)), azure_exports.lookup_joins(cols), load, raw


def _check_legacy_columns(
    detected: Detected, cols: azure_exports.LegacyColumns, currency: str | None
) -> None:
    for needed in azure_exports.REQUIRED_FIELDS:
        if not cols.has(needed):
            raise IngestError(detected.path, f"this cost export has no {needed} column")
    if not cols.has("currency") and currency is None:
        raise IngestError(
            detected.path,
            "this cost export has no currency column (BillingCurrency, BillingCurrencyCode "
            "or Currency); give the billing currency with --currency, e.g. --currency USD",
        )


def _required(
    exprs: dict[str, str], mapped: dict[str, tuple[str, str]], columns: tuple[str, ...]
) -> dict[str, str]:
    """Make an empty value in a required column an error naming the column."""
    for column in columns:
        exprs[column] = f"coalesce({exprs[column]}, {missing_error(mapped[column][1])})"
    return exprs


def _insert(
    con: duckdb.DuckDBPyConnection,
    detected: Detected,
    src: Source,
    exprs: dict[str, str],
    joins: tuple[str, str] | None,
    import_id: int,
    dataset: str,
) -> None:
    exprs = {**exprs, "_import_id": str(import_id), "_dataset": quote_literal(dataset)}
    select = ",\n".join(f"{exprs.get(c, 'NULL')} AS {quote_ident(c)}" for c in COST_COLUMNS)
    relation = src.sql
    if joins:
        keys, lookups = joins
        relation = f"(SELECT *, {keys} FROM {src.sql}) s {lookups}"
    try:
        con.execute(f"INSERT INTO costs BY NAME SELECT {select} FROM {relation}")
    except duckdb.Error as exc:
        raise _explain(detected, exc) from exc


def _explain(detected: Detected, exc: duckdb.Error) -> IngestError:
    failure = parse_failure(str(exc))
    if failure is None:
        csv_error = translate_csv_error(detected.path, exc)
        if csv_error:
            return csv_error
        return IngestError(detected.path, f"could not be read: {str(exc).splitlines()[0]}")
    column, problem, value = failure
    message = _PROBLEMS.get(problem, problem).format(value=value)
    try:
        row, line = locate_value(detected, column, None if problem == "missing" else value)
    except LookupError:
        row, line = None, None
    return IngestError(detected.path, message, row=row, line=line, column=column)


register(Format("focus", "cost", ("csv", "parquet"), focus.probe_focus, load_cost_export))
for _name in azure_exports.LEGACY_FORMATS:
    register(
        Format(
            _name,
            "cost",
            ("csv", "parquet"),
            azure_exports.probe_cost_details(_name),
            load_cost_export,
        )
    )
