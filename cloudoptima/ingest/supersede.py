"""A newer export replaces only what it re-delivers; everything else is added.

Azure re-delivers month-to-date exports every day, and an estate often has several
exports side by side (one per resource group, weekly ones, custom ranges). The rule,
stated in the README ("What it reads"), is the one every cost import follows:

- Rows of an earlier import are replaced only when the new import re-delivers them:
  the **same dataset** (actual, amortized or FOCUS), the **same scope** and only on the
  **days both hold**. The scope is the one the exports declare (manifest or storage
  path, :mod:`.export_identity`) when both declare one that can be compared;
  otherwise it is inferred conservatively, subscription by subscription: every
  resource group the earlier import holds in a subscription on the shared days is
  present in the new one there on those days (a subscription's charges outside any
  resource group count as a group of their own). So a newer file that re-delivers one
  subscription of an older billing-account file replaces that subscription only.
- An earlier delivery that arrives late (it ran before, or it is a month-to-date
  file that starts on the same day and ends sooner) keeps out of the way instead.
- Anything else is added. Where the two imports nevertheless hold the same cost for a
  subscription, resource group and day (both fill BilledCost, say, as an actual and a
  FOCUS export do), that overlap is neither replaced nor ignored: both stay, and the
  import log and the command line say so.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from cloudoptima.ingest.export_identity import ExportIdentity, contains

# Datasets holding the same cost column: FOCUS fills both BilledCost and EffectiveCost.
_CONFLICTS = {
    "focus": ("focus", "actual", "amortized"),
    "actual": ("focus", "actual"),
    "amortized": ("focus", "amortized"),
}
_SUB = "lower(coalesce(SubAccountId, BillingAccountId, ''))"
# Generic FOCUS has no x_ResourceGroupName: the group is in the (lower-cased) resource id.
_RG = (
    "lower(coalesce(nullif(x_ResourceGroupName, ''), "
    "nullif(regexp_extract(ResourceId, '/resourcegroups/([^/]+)', 1), ''), ''))"
)
_DAY = "CAST(ChargePeriodStart AS DATE)"

Cell = tuple[str, str, date]  # subscription (or billing account), resource group, day


@dataclass(frozen=True)
class Replacement:
    """Rows of an earlier import that a newer one replaced."""

    import_id: int
    rows: int
    days: tuple[date, ...]

    def describe(self) -> str:
        return f"#{self.import_id}: {self.rows} rows, {describe_days(self.days)}"


@dataclass(frozen=True)
class Overlap:
    """Cost two imports both hold without one re-delivering the other."""

    import_id: int
    dataset: str
    days: tuple[date, ...]
    subscriptions: int
    resource_groups: int

    def describe(self) -> str:
        """For the import log: '#3 (actual): 1 subscription, 2 resource groups, 2026-09-03'."""
        groups = f"{self.resource_groups} resource group{'s' * (self.resource_groups != 1)}"
        subs = f"{self.subscriptions} subscription{'s' * (self.subscriptions != 1)}"
        return f"#{self.import_id} ({self.dataset}): {subs}, {groups}, {describe_days(self.days)}"

    def warning(self) -> str:
        """What the user is told."""
        return (
            f"holds cost that #{self.import_id} ({self.dataset}) holds too "
            f"({self.describe().split(': ', 1)[1]}) without being a newer delivery of the same "
            "export, so both are kept and that cost may count twice: check that the two "
            "exports do not cover the same scope"
        )


@dataclass
class CostLoad:
    """What loading one cost export did."""

    dataset: str
    rows: int = 0
    read_rows: int = 0  # rows read from the file, before any was kept out
    stale_rows: int = 0
    replaced: list[Replacement] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    period_start: object = None
    period_end: object = None
    first_day: date | None = None
    last_day: date | None = None
    identity: ExportIdentity = field(default_factory=ExportIdentity)
    scope: str | None = None
    notes: list[str] = field(default_factory=list)  # how the dataset was decided, when unsure

    @property
    def replaced_rows(self) -> int:
        return sum(r.rows for r in self.replaced)


@dataclass
class Footprint:
    """The cells one import holds (the earlier ones: only on the new import's days)."""

    import_id: int
    dataset: str
    identity: ExportIdentity
    cells: set[Cell] = field(default_factory=set)
    first_day: date | None = None
    last_day: date | None = None

    @property
    def days(self) -> set[date]:
        return {cell[2] for cell in self.cells}

    @property
    def subscriptions(self) -> set[str]:
        return {cell[0] for cell in self.cells}

    def days_of(self, subs: Collection[str] | None) -> set[date]:
        """The days with cost in ``subs`` (None: in any subscription)."""
        return {day for sub, _, day in self.cells if subs is None or sub in subs}

    def pairs(self, days: Collection[date], subs: Collection[str] | None) -> set[tuple[str, str]]:
        """Subscription and resource group pairs with cost on ``days`` (in ``subs``)."""
        return {
            (sub, rg)
            for sub, rg, day in self.cells
            if day in days and (subs is None or sub in subs)
        }

    def slice(self, days: Collection[date], subs: Collection[str] | None) -> set[Cell]:
        return {c for c in self.cells if c[2] in days and (subs is None or c[0] in subs)}


@dataclass(frozen=True)
class _Slice:
    """Part of two imports judged together: some subscriptions (None: all) on shared days."""

    subs: frozenset[str] | None
    days: frozenset[date]


def summarise(con: duckdb.DuckDBPyConnection, import_id: int, load: CostLoad) -> None:
    """Fill ``load`` with the row count, billing period and charge days of ``import_id``."""
    row = con.execute(
        f"""SELECT count(*), min(BillingPeriodStart), max(BillingPeriodEnd), min({_DAY}), max({_DAY})
            FROM costs WHERE _import_id = ?""",
        [import_id],
    ).fetchone()
    assert row is not None
    load.rows, load.period_start, load.period_end, load.first_day, load.last_day = row
    load.rows = int(load.rows)


def resolve_overlaps(con: duckdb.DuckDBPyConnection, import_id: int, load: CostLoad) -> None:
    """Apply the rule of the module docstring between ``import_id`` and the imports before it."""
    new = _new_footprint(con, import_id, load)
    for old in _earlier_footprints(con, new):
        replaced_rows, replaced_days, overlapping = 0, set[date](), set[Cell]()
        for part in _slices(new, old):
            verdict = _judge(new, old, part)
            if verdict == "replace":
                replaced_rows += _delete(con, old.import_id, part)
                replaced_days |= part.days
            elif verdict == "keep-out":
                load.stale_rows += _delete(con, import_id, part)
            elif verdict == "overlap":
                overlapping |= new.slice(part.days, part.subs) & old.cells
        if replaced_days:
            load.replaced.append(
                Replacement(old.import_id, replaced_rows, tuple(sorted(replaced_days)))
            )
            _note_replaced(con, old.import_id, import_id, replaced_rows, replaced_days)
        if overlapping:
            load.overlaps.append(_overlap(old, overlapping))


def _slices(new: Footprint, old: Footprint) -> list[_Slice]:
    """One slice for two runs of one declared export; else one per subscription."""
    declared = contains(new.identity, old.identity) is not None
    if new.dataset == old.dataset and declared:
        return [_Slice(None, frozenset(new.days & old.days))]
    return [
        _Slice(frozenset([sub]), frozenset(new.days_of([sub]) & old.days_of([sub])))
        for sub in sorted(old.subscriptions)
    ]


def _judge(new: Footprint, old: Footprint, part: _Slice) -> str:
    """replace | keep-out | overlap | disjoint."""
    if not part.days:
        return "disjoint"
    if new.dataset == old.dataset:
        late = _arrived_late(new, old)
        if not late and _covers(new, old, part):
            return "replace"
        if late and _covers(old, new, part):
            return "keep-out"
    if new.slice(part.days, part.subs) & old.cells:
        return "overlap"
    return "disjoint"


def _covers(outer: Footprint, inner: Footprint, part: _Slice) -> bool:
    """Whether ``outer`` re-delivers everything ``inner`` holds in ``part``."""
    declared = contains(outer.identity, inner.identity)
    if declared is not None:
        return declared
    return inner.pairs(part.days, part.subs) <= outer.pairs(part.days, part.subs)


def _arrived_late(new: Footprint, old: Footprint) -> bool:
    """Whether ``new`` is an earlier delivery than ``old`` (imported after it)."""
    new_run, old_run = new.identity.exported_at, old.identity.exported_at
    if new_run is not None and old_run is not None:
        return new_run < old_run
    # An earlier month-to-date file: same first day, fewer days, all of them in the older.
    return (
        new.first_day == old.first_day
        and new.last_day is not None
        and old.last_day is not None
        and new.last_day < old.last_day
        and new.days == old.days  # (old's cells were read on the new import's days only)
    )


def _overlap(old: Footprint, cells: set[Cell]) -> Overlap:
    return Overlap(
        old.import_id,
        old.dataset,
        tuple(sorted({c[2] for c in cells})),
        len({c[0] for c in cells}),
        len({(c[0], c[1]) for c in cells}),
    )


def _new_footprint(con: duckdb.DuckDBPyConnection, import_id: int, load: CostLoad) -> Footprint:
    rows = con.execute(
        f"SELECT DISTINCT {_SUB}, {_RG}, {_DAY} FROM costs WHERE _import_id = ?", [import_id]
    ).fetchall()
    new = Footprint(import_id, load.dataset, load.identity, set(map(_cell, rows)))
    days = new.days
    new.first_day, new.last_day = (min(days), max(days)) if days else (None, None)
    return new


def _earlier_footprints(con: duckdb.DuckDBPyConnection, new: Footprint) -> list[Footprint]:
    """Earlier imports of a conflicting dataset with rows on the new import's days."""
    days = sorted(new.days)
    if not days:
        return []
    rows = con.execute(
        f"""SELECT DISTINCT _import_id, _dataset, {_SUB}, {_RG}, {_DAY} FROM costs
            WHERE _import_id <> $id AND list_contains($datasets, _dataset)
              AND ChargePeriodStart >= $first AND ChargePeriodStart < $after
              AND list_contains($days, {_DAY})""",
        {
            "id": new.import_id,
            "datasets": list(_CONFLICTS[new.dataset]),
            "first": days[0],
            "after": days[-1] + timedelta(days=1),
            "days": days,
        },
    ).fetchall()
    footprints: dict[int, Footprint] = {}
    for old_id, dataset, *cell in rows:
        if old_id not in footprints:
            footprints[old_id] = Footprint(int(old_id), str(dataset), ExportIdentity())
        footprints[old_id].cells.add(_cell(cell))
    _describe_earlier(con, footprints)
    return [footprints[i] for i in sorted(footprints)]


def _describe_earlier(con: duckdb.DuckDBPyConnection, footprints: dict[int, Footprint]) -> None:
    """Each earlier import's whole span of days and its declared identity."""
    ids = list(footprints)
    if not ids:
        return
    spans = con.execute(
        f"""SELECT _import_id, min({_DAY}), max({_DAY}) FROM costs
            WHERE list_contains(?, _import_id) GROUP BY 1""",
        [ids],
    ).fetchall()
    for old_id, first, last in spans:
        footprints[int(old_id)].first_day, footprints[int(old_id)].last_day = first, last
    logged = con.execute(
        """SELECT import_id, scope, scope_source, exported_at FROM imports
           WHERE list_contains(?, import_id)""",
        [ids],
    ).fetchall()
    for old_id, scope, source, exported_at in logged:
        declared = source in ("manifest", "path")
        footprints[int(old_id)].identity = ExportIdentity(
            scope if declared else None, source or "rows", exported_at
        )


def _cell(row: Iterable[object]) -> Cell:
    sub, rg, day = row
    assert isinstance(day, date)
    return str(sub), str(rg), day


def _delete(con: duckdb.DuckDBPyConnection, import_id: int, part: _Slice) -> int:
    """Delete the rows of ``import_id`` in ``part``; the number deleted."""
    in_subs = "TRUE" if part.subs is None else f"list_contains($subs, {_SUB})"
    row = con.execute(
        f"DELETE FROM costs WHERE _import_id = $id AND list_contains($days, {_DAY}) AND {in_subs}",
        {"id": import_id, "days": sorted(part.days)}
        | ({} if part.subs is None else {"subs": sorted(part.subs)}),
    ).fetchone()
    return int(row[0]) if row else 0


def _note_replaced(
    con: duckdb.DuckDBPyConnection, old_id: int, new_id: int, rows: int, days: Collection[date]
) -> None:
    """Tell the earlier import's log entry what replaced it; 'replaced' once nothing is left."""
    note = f"; {rows} rows on {describe_days(days)} replaced by #{new_id}"
    con.execute(
        """UPDATE imports SET message = concat(coalesce(message, ''), $note),
               status = CASE WHEN EXISTS (SELECT 1 FROM costs WHERE _import_id = $old)
                             THEN status ELSE 'replaced' END
           WHERE import_id = $old""",
        {"note": note, "old": old_id},
    )


def describe_days(days: Collection[date]) -> str:
    """'2026-09-03', '2026-09-01 to 2026-09-10', or '12 days from 2026-09-01 to 2026-09-30'."""
    ordered = sorted(days)
    if not ordered:
        return "no days"
    first, last = ordered[0], ordered[-1]
    if first == last:
        return f"{first}"
    if (last - first).days + 1 == len(ordered):
        return f"{first} to {last}"
    return f"{len(ordered)} days from {first} to {last}"


def scope_of(con: duckdb.DuckDBPyConnection, load: CostLoad, import_id: int) -> str | None:
    """The export's scope as declared, else the first accounts of its rows."""
    if load.identity.scope:
        return load.identity.scope
    rows = con.execute(
        f"SELECT DISTINCT {_SUB} FROM costs WHERE _import_id = ? ORDER BY 1 LIMIT 4", [import_id]
    ).fetchall()
    names = [str(r[0]) for r in rows]
    return ", ".join(names[:3]) + (" and more" if len(names) > 3 else "") if names else None


__all__ = [
    "CostLoad",
    "Overlap",
    "Replacement",
    "describe_days",
    "resolve_overlaps",
    "scope_of",
    "summarise",
]
