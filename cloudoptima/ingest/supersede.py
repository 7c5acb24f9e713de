"""Month-to-date exports supersede older deliveries of the same scope and period.

Azure re-delivers month-to-date exports every day. The rows of a newer export for the
same subscription (or billing account) and billing period replace the older rows of any
dataset they overlap: FOCUS overlaps both actual and amortized, actual and amortized
only themselves. An older export arriving late keeps out of the way instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from cloudoptima.ingest.detect import Detected
from cloudoptima.storage.sql import quote_literal

_OVERLAPS = {
    "focus": ("focus", "actual", "amortized"),
    "actual": ("focus", "actual"),
    "amortized": ("focus", "amortized"),
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
    notes: list[str] = field(default_factory=list)  # how the dataset was decided, when unsure


def summarise(con: duckdb.DuckDBPyConnection, import_id: int, load: CostLoad) -> None:
    """Fill ``load`` with the row count and billing period of ``import_id``."""
    row = con.execute(
        "SELECT count(*), min(BillingPeriodStart), max(BillingPeriodEnd) FROM costs WHERE _import_id = ?",
        [import_id],
    ).fetchone()
    assert row is not None
    load.rows, load.period_start, load.period_end = int(row[0]), row[1], row[2]


_KEY = "coalesce(SubAccountId, BillingAccountId, '')"


def replace_superseded(con: duckdb.DuckDBPyConnection, import_id: int, load: CostLoad) -> None:
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


def scope_of(con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int) -> str | None:
    """The export's scope: from the manifest, else the first accounts of its rows."""
    export_scope = detected.manifest.get("exportConfig", {}).get("resourceId")
    if export_scope:
        return str(export_scope).split("/providers/Microsoft.CostManagement")[0]
    rows = con.execute(
        f"SELECT DISTINCT {_KEY} FROM costs WHERE _import_id = ? ORDER BY 1 LIMIT 4", [import_id]
    ).fetchall()
    names = [str(r[0]) for r in rows]
    return ", ".join(names[:3]) + (" and more" if len(names) > 3 else "") if names else None
