"""Actual or amortized cost: what a Cost Management export's rows say, else its name.

Both datasets share one header. Actual cost bills commitment-covered usage at 0 and
shows the purchase; amortized cost spreads the purchase onto that usage and adds the
unused part. The loader stores an export of unknown dataset with both cost columns
filled, asks the stored rows (one columnar scan, not a second read of the file) and
then keeps the column of the dataset they show. Only when no row tells, the file name
may, and the import message says so.
"""

from __future__ import annotations

import duckdb

from cloudoptima.ingest.detect import Detected

# Stored rows that only one dataset has (ChargeCategory/PricingCategory are mapped).
_AMORTIZED = (
    "CommitmentDiscountStatus = 'Unused' OR "
    "(ChargeCategory = 'Usage' AND PricingCategory = 'Committed' AND BilledCost <> 0)"
)
_ACTUAL = "ChargeCategory = 'Usage' AND PricingCategory = 'Committed' AND BilledCost = 0"
# The dataset a row set is stored as: the other dataset's columns are cleared.
_CLEAR = {
    "actual": ("EffectiveCost", "x_EffectiveCostInUsd"),
    "amortized": ("BilledCost", "x_BilledCostInUsd"),
}


def settle_dataset(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int
) -> tuple[str, str | None]:
    """Decide the dataset of an import stored with both costs and clear the other one.

    Returns (dataset, note for the import message or None).
    """
    dataset, note = _decide(con, detected, import_id)
    cleared = ", ".join(f'"{column}" = NULL' for column in _CLEAR[dataset])
    con.execute(
        f"UPDATE costs SET {cleared}, _dataset = $dataset WHERE _import_id = $import_id",
        {"dataset": dataset, "import_id": import_id},
    )
    return dataset, note


def _decide(
    con: duckdb.DuckDBPyConnection, detected: Detected, import_id: int
) -> tuple[str, str | None]:
    row = con.execute(
        f"SELECT count(*) FILTER ({_AMORTIZED}), count(*) FILTER ({_ACTUAL}) "
        "FROM costs WHERE _import_id = ?",
        [import_id],
    ).fetchone()
    if row and row[0]:
        return "amortized", None
    if row and row[1]:
        return "actual", None
    # Only now may the name speak: on-demand rows read the same in both datasets.
    guess = dataset_from_name(detected)
    if guess:
        note = (
            f"dataset '{guess}' taken from the file name: no row tells actual from amortized cost"
        )
        return guess, note
    return "actual", "no row tells actual from amortized cost: loaded as actual"


def dataset_from_name(detected: Detected) -> str | None:
    """'amortized' or 'actual' when the file (or run folder) name says so."""
    name = " ".join(p.name.lower() for p in (detected.path, *detected.parts))
    return "amortized" if "amortiz" in name else ("actual" if "actual" in name else None)


def expected_dataset(detected: Detected) -> str | None:
    """The dataset a cost input will be stored as, unless its rows say otherwise."""
    if detected.kind != "cost":
        return None
    return detected.dataset or dataset_from_name(detected) or "actual"
