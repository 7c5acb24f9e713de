"""Load one cost export into the ``costs`` table and replace what it supersedes.

Azure re-delivers month-to-date exports every day. The rows of a newer export for
the same subscription (or billing account) and billing period replace the older
rows of any dataset they overlap: FOCUS overlaps both actual and amortized, actual
and amortized only themselves. Nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from cloudoptima.errors import IngestError
from cloudoptima.ingest import azure_exports, focus
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.lookups import register_lookups
from cloudoptima.ingest.source import Source, locate_value, source_of, translate_csv_error
from cloudoptima.ingest.sqltypes import ERROR_TAG, parse_failure
from cloudoptima.storage.schema import COST_COLUMNS
from cloudoptima.storage.sql import quote_ident, quote_literal

_OVERLAPS = {
    "focus": ("focus", "actual", "amortized"),
    "actual": ("focus", "actual"),
    "amortized": ("focus", "amortized"),
}
_PROBLEMS = {
    "number": "'{value}' is not a number",
    "date": "'{value}' is not a date Azure writes (ISO 8601, MM/dd/yyyy or M/d/yyyy)",
    "boolean": "'{value}' is not true or false",
    "json": "'{value}' is not a JSON object of tags",
    "missing": "the value is empty but every cost row needs one",
}


@dataclass
class CostLoad:
    """What loading one cost export did."""

    dataset: str
    rows: int = 0
    replaced_rows: int = 0
    stale_rows: int = 0
    replaced_imports: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    period_start: object = None
    period_end: object = None
    scope: str | None = None


def load_costs(
    con: duckdb.DuckDBPyConnection,
    detected: Detected,
    import_id: int,
    *,
    currency: str | None = None,
) -> CostLoad:
    """Insert the rows of ``detected`` under ``import_id``; raise IngestError on bad input."""
    register_lookups(con)
    src = source_of(detected, con)
    dataset, exprs, ignored = _plan(con, detected, src, currency)
    load = CostLoad(dataset, ignored_columns=ignored)
    _insert(con, detected, src, exprs, import_id, dataset)
    _summarise(con, import_id, load)
    _replace_superseded(con, import_id, load)
    load.scope = _scope(con, detected, import_id)
    return load


def _plan(
    con: duckdb.DuckDBPyConnection, detected: Detected, src: Source, currency: str | None
) -> tuple[str, dict[str, str], list[str]]:
    if detected.format == "focus":
        mapped, ignored = focus.map_columns(src.cells, src.refs)
        missing = [c for c in focus.REQUIRED if c not in mapped]
        if missing:
            raise IngestError(
                detected.path, f"this FOCUS file lacks the required column {missing[0]}"
            )
        exprs = focus.focus_select(mapped)
        return (
            "focus",
            _required(exprs, mapped, ("BilledCost", "BillingCurrency", "ChargePeriodStart")),
            ignored,
        )
    cols = azure_exports.LegacyColumns(src.cells, src.refs)
    _check_legacy_columns(detected, cols, currency)
    dataset = detected.dataset or _infer_dataset(con, detected, src, cols)
    exprs = azure_exports.focus_select(cols, dataset, currency)
    required = {
        "cost": "BilledCost" if dataset == "actual" else "EffectiveCost",
        "date": "ChargePeriodStart",
    }
    mapped = {required[f]: cols.fields[f] for f in required}
    if cols.has("currency"):
        mapped["BillingCurrency"] = cols.fields["currency"]
    return dataset, _required(exprs, mapped, tuple(mapped)), []


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


def _infer_dataset(
    con: duckdb.DuckDBPyConnection,
    detected: Detected,
    src: Source,
    cols: azure_exports.LegacyColumns,
) -> str:
    """Amortized exports are the ones with unused-commitment rows or amortized usage."""
    if any("amortiz" in p.name.lower() for p in detected.parts):
        return "amortized"
    if not cols.has("chargetype"):
        return "actual"
    chargetype, model, cost = cols.ref("chargetype"), cols.ref("pricingmodel"), cols.ref("cost")
    # Actual cost bills commitment-covered usage at 0; amortized spreads the purchase onto it.
    amortized_usage = (
        f"({chargetype} = 'Usage' AND replace({model}, ' ', '') IN ('Reservation', 'SavingsPlan') "
        f"AND TRY_CAST({cost} AS DOUBLE) <> 0)"
    )
    sql = (
        f"SELECT count(*) FROM {src.sql} WHERE {chargetype} IN ('UnusedReservation', 'UnusedSavingsPlan') "
        f"OR {amortized_usage}"
    )
    row = con.execute(sql).fetchone()
    return "amortized" if row and row[0] else "actual"


def _required(
    exprs: dict[str, str], mapped: dict[str, tuple[str, str]], columns: tuple[str, ...]
) -> dict[str, str]:
    """Make an empty value in a required column an error naming the column."""
    for column in columns:
        header = mapped[column][1]
        tag = quote_literal(f"{ERROR_TAG}\u241f{header}\u241fmissing\u241f")
        exprs[column] = f"coalesce({exprs[column]}, error({tag}))"
    return exprs


def _insert(
    con: duckdb.DuckDBPyConnection,
    detected: Detected,
    src: Source,
    exprs: dict[str, str],
    import_id: int,
    dataset: str,
) -> None:
    exprs = {**exprs, "_import_id": str(import_id), "_dataset": quote_literal(dataset)}
    select = ",\n".join(f"{exprs.get(c, 'NULL')} AS {quote_ident(c)}" for c in COST_COLUMNS)
    try:
        con.execute(f"INSERT INTO costs SELECT {select} FROM {src.sql}")
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


def _summarise(con: duckdb.DuckDBPyConnection, import_id: int, load: CostLoad) -> None:
    row = con.execute(
        "SELECT count(*), min(BillingPeriodStart), max(BillingPeriodEnd) FROM costs WHERE _import_id = ?",
        [import_id],
    ).fetchone()
    assert row is not None
    load.rows, load.period_start, load.period_end = int(row[0]), row[1], row[2]


_KEY = "coalesce(SubAccountId, BillingAccountId, '')"


def _replace_superseded(con: duckdb.DuckDBPyConnection, import_id: int, load: CostLoad) -> None:
    """Delete older rows this import supersedes, or this import's rows if they are staler."""
    overlaps = "(" + ", ".join(quote_literal(d) for d in _OVERLAPS[load.dataset]) + ")"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _keys AS
        SELECT {_KEY} AS k, BillingPeriodStart AS p, max(ChargePeriodStart) AS newest
        FROM costs WHERE _import_id = $1 GROUP BY ALL""",
        [import_id],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _old AS
        SELECT {_KEY} AS k, BillingPeriodStart AS p, max(ChargePeriodStart) AS newest,
               list(DISTINCT _import_id) AS imports
        FROM costs c WHERE _import_id <> $1 AND _dataset IN {overlaps}
          AND EXISTS (SELECT 1 FROM _keys WHERE k = {_KEY} AND p = c.BillingPeriodStart)
        GROUP BY ALL""",
        [import_id],
    )
    stale = f"""DELETE FROM costs c WHERE _import_id = $1 AND EXISTS (SELECT 1 FROM _old o
        JOIN _keys n USING (k, p) WHERE o.newest > n.newest AND o.k = {_KEY} AND o.p = c.BillingPeriodStart)"""
    load.stale_rows = _deleted(con, stale, [import_id])
    replaced = con.execute(
        "SELECT DISTINCT unnest(imports) FROM _old o JOIN _keys n USING (k, p) WHERE o.newest <= n.newest"
    ).fetchall()
    load.replaced_imports = sorted(int(r[0]) for r in replaced)
    delete = f"""DELETE FROM costs c WHERE _import_id <> $1 AND _dataset IN {overlaps}
        AND EXISTS (SELECT 1 FROM _old o JOIN _keys n USING (k, p)
                    WHERE o.newest <= n.newest AND o.k = {_KEY} AND o.p = c.BillingPeriodStart)"""
    load.replaced_rows = _deleted(con, delete, [import_id])
    load.rows -= load.stale_rows


def _deleted(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _scope(con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int) -> str | None:
    export_scope = detected.manifest.get("exportConfig", {}).get("resourceId")
    if export_scope:
        return str(export_scope).split("/providers/Microsoft.CostManagement")[0]
    rows = con.execute(
        f"SELECT DISTINCT {_KEY} FROM costs WHERE _import_id = ? ORDER BY 1 LIMIT 4", [import_id]
    ).fetchall()
    names = [str(r[0]) for r in rows]
    return ", ".join(names[:3]) + (" and more" if len(names) > 3 else "") if names else None
