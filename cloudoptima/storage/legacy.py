"""Upgrading workspaces of schema version 3 and older: their state moves to the state store.

Until version 3, settings and findings (with the statuses users gave them) lived in
the cost database; migration 4 drops those tables. Before it runs, the values users
chose are copied to ``state.sqlite``: stored settings, and statuses a user set
(automatic resolutions are derived again from the data, so they are not copied).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from cloudoptima.storage.reader import Reader
from cloudoptima.storage.state import StateStore

_AUTOMATIC_REASONS = (
    "no longer matches the rule, or the resource is gone",
    "matched again after it was resolved",
    "snooze ended",
)


def move_state_out_of_duckdb(reader: Reader, state: StateStore) -> None:
    """Copy settings and user-set finding statuses of a version 2-3 database to ``state``."""
    tables = set(
        reader.sql("SELECT table_name FROM information_schema.tables")["table_name"].to_list()
    )
    settings = _settings(reader) if "settings" in tables else {}
    statuses = _statuses(reader) if "findings" in tables else []
    if not settings and not statuses:
        return
    with state.transaction() as tx:
        for key, value in settings.items():
            tx.set_setting(key, value)
        for row in statuses:
            tx.set_status(
                row["finding_id"],
                row["status"],
                reason=row["status_reason"],
                snoozed_until=_day(row["snoozed_until"]),
                resolved_on=_day(row["resolved_on"]),
                changed_by=None,
            )


def _settings(reader: Reader) -> dict[str, object]:
    rows = reader.sql(
        "SELECT key, value::VARCHAR AS value FROM settings WHERE key NOT LIKE '\\_%' ESCAPE '\\'"
    )
    return {str(k): json.loads(v) for k, v in rows.iter_rows()}


def _statuses(reader: Reader) -> list[dict[str, Any]]:
    frame = reader.sql(
        """SELECT finding_id, status, status_reason, snoozed_until, resolved_on FROM findings
           WHERE status <> 'open' AND coalesce(status_reason, '') NOT IN (?, ?, ?)""",
        list(_AUTOMATIC_REASONS),
    )
    return frame.to_dicts()


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None
