"""The sniffer opens a file once and keeps what it learned for detection and loading."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cloudoptima import Workspace
from cloudoptima.errors import IngestError
from cloudoptima.ingest import sniff as sniff_module
from cloudoptima.ingest.sniff import CsvHeader, sniff

EA_CHINA = "Preamble line one\r\nBilling period: 2026-09\r\nDate;Cost;SubscriptionId\r\n09/01/2026;1,5;s1\r\n"


def test_csv_layout_with_bom_preamble_semicolons_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbf" + EA_CHINA.encode())
    sniffed = sniff(path)
    assert (sniffed.file_type, sniffed.compression, sniffed.bom) == ("csv", None, True)
    assert sniffed.header == CsvHeader(
        ["Date", "Cost", "SubscriptionId"], ";", 2, True, "\r\n", ("09/01/2026", "1,5", "s1")
    )
    assert [(row, line, cells) for row, line, cells in sniffed.csv_rows()] == [
        (1, 4, ["09/01/2026", "1,5", "s1"])
    ]


def test_gzip_csv_is_read_through_the_compression(tmp_path: Path) -> None:
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"a,b,c\n1,2,3\n"))
    sniffed = sniff(path)
    assert (sniffed.file_type, sniffed.compression, sniffed.names) == (
        "csv",
        "gzip",
        ["a", "b", "c"],
    )
    assert sniffed.header.first_row == ("1", "2", "3")


def test_parquet_schema_is_read_from_the_footer(tmp_path: Path) -> None:
    import polars as pl

    path = tmp_path / "x.dat"
    pl.DataFrame({"BilledCost": [1.5], "ChargePeriodStart": ["2026-09-01"]}).write_parquet(path)
    sniffed = sniff(path)
    assert sniffed.file_type == "parquet"
    assert sniffed.parquet_schema.names == ["BilledCost", "ChargePeriodStart"]
    assert sniffed.parquet_schema is sniffed.parquet_schema  # read once


def test_json_lines_are_documents(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    assert sniff(path).documents == [{"a": 1}, {"a": 2}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\n \n", "is empty"),
        (b"a,b,c\n\xff\xfe,2,3\n", "is not a readable UTF-8 text file"),
        (b"\x1f\x8b\x08\x00garbage", "is a damaged gzip file"),
    ],
)
def test_unreadable_files_are_named(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=f"bad\\.csv: {message}"):
        sniff(path)


def test_a_json_import_parses_the_file_once(
    samples: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_loads = json.loads

    def counting_loads(text: str | bytes, **kwargs: object) -> object:
        calls.append(len(text))
        return real_loads(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sniff_module.json, "loads", counting_loads)
    path = samples / "azure-rest" / "compute_Disk_ListBySubscription_2024-03-02.json"
    [result] = workspace.ingest([path])
    assert (result.status, result.format) == ("loaded", "arm-list")
    # Only the document itself: detection, the other probes and the loader reuse it.
    assert calls == [len(path.read_text(encoding="utf-8-sig"))]
