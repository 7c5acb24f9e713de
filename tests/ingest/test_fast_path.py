"""The FOCUS fast path: the CSV reader types numbers itself, never differently from the text path.

The reader may refuse more than TRY_CAST (refused rows are loaded again from text), but
whatever it accepts must be the value the text path would have stored.
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import FOCUS_HEADER, focus_rows, write_focus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudoptima import Workspace
from cloudoptima.ingest.focus import (
    EARLIEST_READER_TIMESTAMP,
    READER_TIMESTAMP,
    from_reader,
    reader_types,
)
from cloudoptima.ingest.sqltypes import try_timestamp, utc_connection
from cloudoptima.storage.schema import COST_COLUMNS, MONEY, QUANTITY
from cloudoptima.storage.sql import quote_literal

NUMBERISH = st.text(alphabet="0123456789.,eE+- $_xinfatyINFNA", max_size=14)
BOOLEANISH = st.sampled_from(
    ["true", "false", "True", "FALSE", "1", "0", "t", "f", "yes", "no", "y", "n", "on", "off", "2"]
)


def _reader_vs_cast(
    folder: Path, values: list[str], sql_type: str
) -> list[tuple[str, object, object]]:
    """(text, reader's value, TRY_CAST's value) for every value the reader accepted."""
    path = folder / "values.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["i", "v", "raw"])
        writer.writerows([i, v, v] for i, v in enumerate(values))
    con = duckdb.connect()
    try:
        return con.execute(
            f"""SELECT raw, v, TRY_CAST(raw AS {sql_type}) FROM read_csv({quote_literal(str(path))},
                auto_detect=false, header=true, quote='"', escape='"', nullstr=['', 'NULL'],
                columns={{'i': 'INTEGER', 'v': {quote_literal(sql_type)}, 'raw': 'VARCHAR'}},
                store_rejects=true)"""
        ).fetchall()
    finally:
        con.close()


def test_the_reader_types_only_numbers_booleans_and_timestamps() -> None:
    mapped = {column: (f"c{i}", column) for i, column in enumerate(COST_COLUMNS)}
    typed = set(reader_types(mapped).values())
    assert typed == {MONEY, QUANTITY, "BOOLEAN", READER_TIMESTAMP}


TIMESTAMP_TEXTS = [
    "2026-10-01", "2026-10-01T00:00:00", "2026-10-01T00:00:00Z", "2026-10-01 13:45:59",
    "2026-10-01T00:00:00+02:00", "2026-10-01 05:30:00-03:30", "2026-10-01T23:00:00-0100",
    "2026-10-01T00:00:00.1234567Z", "2026-10-01T00:00Z", "2026-10-01T00:00+05", "2026-1-1",
    "2026-10-01T00:00:00 UTC", "2026-10-01T00:00:00 Europe/Berlin", "2026-10-01T25:00:00Z",
    "2026-02-30", "2026-01-01X", "10/01/2026", "3/1/21", "21-03-01", "01.10.2026",
    "20261001", "2026-10-01t00:00:00", "infinity", "-infinity", "epoch", "12026-10-01", "x",
]  # fmt: skip  # one list of cases, kept dense


def test_an_accepted_timestamp_is_what_the_text_path_reads_or_goes_the_text_way(
    tmp_path: Path,
) -> None:
    """The reader's TIMESTAMPTZ, stored through from_reader, equals try_timestamp's value,
    except where its year is outside 1000..9999 (the load then reads text)."""
    stored = from_reader("v", "TIMESTAMP")
    path = tmp_path / "values.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["v", "raw"])
        writer.writerows([v, v] for v in TIMESTAMP_TEXTS)
    con = utc_connection()
    rows = con.execute(
        f"""SELECT raw, {stored}, {try_timestamp("raw")} FROM read_csv(
            {quote_literal(str(path))}, auto_detect=false, header=true, quote='"', escape='"',
            columns={{'v': 'TIMESTAMPTZ', 'raw': 'VARCHAR'}}, store_rejects=true)"""
    ).fetchall()
    earliest = datetime.fromisoformat(EARLIEST_READER_TIMESTAMP)
    # A year beyond 9999 comes back as text (Python's datetime cannot hold it).
    sent_back = {
        raw
        for raw, reader, _ in rows
        if isinstance(reader, str) or (isinstance(reader, datetime) and reader < earliest)
    }
    assert sent_back == {"3/1/21", "21-03-01", "infinity", "-infinity", "12026-10-01"}
    kept = [row for row in rows if row[0] not in sent_back]
    assert [(raw, reader) for raw, reader, _ in kept] == [(raw, text) for raw, _, text in kept]
    assert len(kept) >= 14  # the common shapes do take the fast path


def test_short_dates_and_offsets_load_as_the_text_path_reads_them(
    tmp_path: Path, workspace: Workspace
) -> None:
    rows = focus_rows(range(1, 4), resources=1)
    rows[0] = rows[0].replace("2026-09-01T00:00:00Z", "9/1/26", 1)  # US short date
    rows[1] = rows[1].replace("2026-09-02T00:00:00Z", "2026-09-02T02:00:00+02:00", 1)
    workspace.ingest([write_focus(tmp_path / "mixed-dates.csv", rows)])
    days = workspace.sql("SELECT ChargePeriodStart FROM costs ORDER BY 1")["ChargePeriodStart"]
    assert days.to_list() == [datetime(2026, 9, d) for d in (1, 2, 3)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(NUMBERISH, min_size=1, max_size=60))
@pytest.mark.parametrize("sql_type", [MONEY, QUANTITY])
def test_an_accepted_number_is_what_try_cast_reads(
    tmp_path: Path, values: list[str], sql_type: str
) -> None:
    for raw, reader, cast in _reader_vs_cast(tmp_path, values, sql_type):
        assert reader == cast or (reader != reader and cast != cast), raw  # NaN == NaN


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(BOOLEANISH, min_size=1, max_size=20))
def test_an_accepted_boolean_is_what_try_cast_reads(tmp_path: Path, values: list[str]) -> None:
    for raw, reader, cast in _reader_vs_cast(tmp_path, values, "BOOLEAN"):
        assert reader == cast, raw


def test_exponents_and_rounding_agree_with_the_text_path(
    tmp_path: Path, workspace: Workspace
) -> None:
    rows = focus_rows(range(1, 3), resources=1)
    rows[0] = rows[0].replace("10.0,", "1e1,", 1)
    rows[1] = rows[1].replace("10.0,", "0.12345678905,", 1)  # 11 decimals: rounds half up
    [result] = workspace.ingest([write_focus(tmp_path / "x.csv", rows)])
    assert result.status == "loaded", result.error
    billed = workspace.sql("SELECT BilledCost FROM costs ORDER BY ChargePeriodStart")
    assert billed.get_column("BilledCost").to_list() == [Decimal("10"), Decimal("0.1234567891")]


def test_a_refused_number_is_named_exactly_after_the_fast_path(
    tmp_path: Path, workspace: Workspace
) -> None:
    rows = focus_rows(range(1, 6))
    assert rows[7].startswith("11.0,10.0,")  # BilledCost, EffectiveCost of the 8th row
    rows[7] = rows[7].replace("11.0,10.0,", "11.0,1.1.0,", 1)
    [result] = workspace.ingest([write_focus(tmp_path / "x.csv", rows, FOCUS_HEADER)])
    assert result.error == "x.csv, row 8, line 9, column 'EffectiveCost': '1.1.0' is not a number"
    assert workspace.sql("SELECT count(*) FROM costs").item() == 0
    assert workspace.imports().row(0, named=True)["status"] == "failed"


def test_a_year_beyond_9999_is_refused_naming_the_value(
    tmp_path: Path, workspace: Workspace
) -> None:
    rows = focus_rows(range(1, 4), resources=1)
    assert rows[1].count("2026-09-03T00:00:00Z") == 1  # its ChargePeriodEnd
    rows[1] = rows[1].replace("2026-09-03T00:00:00Z", "12026-10-01")
    [result] = workspace.ingest([write_focus(tmp_path / "far.csv", rows)])
    assert result.status == "failed"
    assert "12026-10-01" in (result.error or "")
