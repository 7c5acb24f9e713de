"""Open an input once and learn how it is stored, before anyone asks what it means.

:func:`sniff` reads the first bytes of a file and finds its container (Parquet, gzip or
plain), encoding (UTF-8, with or without a byte-order mark) and syntax (CSV or JSON).
The returned :class:`Sniffed` caches everything read from the file after that: the CSV
header row with its delimiter, preamble, line ending and first data row; the Parquet
schema; the parsed JSON documents. Format probes and loaders all take the same
``Sniffed``, so no file is opened twice to be detected and a JSON file is parsed once.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from cloudoptima.errors import IngestError

SNIFF_CHARS = 256 * 1024
MAX_PREAMBLE = 3
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
T = TypeVar("T")


@dataclass(frozen=True)
class CsvHeader:
    """The header of a CSV file and how the file is laid out around it."""

    cells: list[str]
    delimiter: str
    skip_lines: int  # preamble lines before the header (EA China exports have 2)
    has_data: bool
    line_ending: str = "\n"  # '\r\n' for files written on Windows
    first_row: tuple[str, ...] = ()  # the first data row, when the sample holds one


@dataclass(frozen=True)
class ParquetSchema:
    """Column names and Arrow types of a Parquet file."""

    names: list[str]
    types: list[str]


class Sniffed:
    """What one file is made of; expensive facts are read on first use and kept."""

    def __init__(
        self, path: Path, *, file_type: str, compression: str | None, bom: bool, sample: str
    ) -> None:
        self.path = path
        self.file_type = file_type  # csv | json | parquet
        self.compression = compression  # gzip | None
        self.bom = bom
        self.sample = sample  # the decoded head of a text file, '' for Parquet
        self._memo: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Sniffed({self.path.name!r}, {self.file_type}, compression={self.compression})"

    def remember(self, key: str, compute: Callable[[], T]) -> T:
        """A fact derived from the content (e.g. a probe's verdict), computed once."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    @property
    def encoding(self) -> str:
        """The Python codec that reads the text: UTF-8, skipping a byte-order mark."""
        return "utf-8-sig" if self.bom else "utf-8"

    def open_text(self) -> IO[str]:
        """A text stream of the whole file (decompressed, without BOM, newlines as written)."""
        return io.TextIOWrapper(
            _open_bytes(self.path, self.compression), encoding="utf-8-sig", newline=""
        )

    @cached_property
    def header(self) -> CsvHeader:
        """The CSV header; raises IngestError when no line names the columns."""
        return _read_header(self.path, self.sample)

    @cached_property
    def parquet_schema(self) -> ParquetSchema:
        """Column names and types from the Parquet footer (the data is not read)."""
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(self.path)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise IngestError(self.path, f"is not a readable Parquet file ({exc})") from exc
        return ParquetSchema(list(schema.names), [str(t) for t in schema.types])

    @cached_property
    def documents(self) -> list[Any]:
        """The JSON documents: one, or one per line for JSON lines; parsed once."""
        return _parse_json(self.path, self.text)

    @cached_property
    def text(self) -> str:
        """The whole decoded text (JSON inputs only need it)."""
        try:
            with self.open_text() as handle:
                return handle.read()
        except UnicodeDecodeError as exc:
            raise _not_utf8(self.path, exc) from exc

    @property
    def names(self) -> list[str]:
        """Column names as the file spells them (CSV header or Parquet schema)."""
        if self.file_type == "parquet":
            return self.parquet_schema.names
        return [c.replace("\ufeff", "").strip() for c in self.header.cells]

    def csv_rows(self) -> Iterator[tuple[int, int, list[str]]]:
        """(data row, physical line where it starts, cells) for every data row.

        Counts quoted line breaks inside cells, so the line is exact. Used to point at
        a bad value after a load failed, so a plain streaming pass is fine.
        """
        header = self.header
        with self.open_text() as handle:
            for _ in range(header.skip_lines):
                handle.readline()
            reader = csv.reader(handle, delimiter=header.delimiter)
            next(reader, None)
            start, number = reader.line_num + 1, 0
            for cells in reader:
                if cells:  # blank lines are no data rows, for DuckDB and Polars either
                    number += 1
                    yield number, start + header.skip_lines, cells
                start = reader.line_num + 1


def sniff(path: Path) -> Sniffed:
    """Open ``path`` once and tell its container, encoding and syntax."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise IngestError(path, "does not exist") from None
    except OSError as exc:
        raise IngestError(path, f"cannot be read ({exc.strerror})") from None
    if not magic:
        raise IngestError(path, "is empty: there is no header row and no data")
    if magic == _PARQUET_MAGIC:
        return Sniffed(path, file_type="parquet", compression=None, bom=False, sample="")
    compression = "gzip" if magic.startswith(_GZIP_MAGIC) else None
    bom, sample = _read_sample(path, compression)
    if not sample.strip():
        raise IngestError(path, "is empty: there is no header row and no data")
    if "\x00" in sample:
        raise IngestError(path, "is a binary file, not a CSV export")
    file_type = "json" if sample.lstrip()[:1] in ("{", "[") else "csv"
    return Sniffed(path, file_type=file_type, compression=compression, bom=bom, sample=sample)


def _read_sample(path: Path, compression: str | None) -> tuple[bool, str]:
    """(has BOM, first SNIFF_CHARS characters) of a text file."""
    try:
        with _open_bytes(path, compression) as raw:
            data = raw.read(SNIFF_CHARS * 4)  # enough bytes for the characters wanted
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        if compression:
            raise IngestError(path, f"is a damaged gzip file ({exc})") from exc
        raise IngestError(path, f"cannot be read ({exc})") from exc
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a character cut at the end of the sample is not an error
        text = decoder.decode(data, final=False)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    bom = text.startswith("\ufeff")
    return bom, text.removeprefix("\ufeff")[:SNIFF_CHARS]


def _open_bytes(path: Path, compression: str | None) -> IO[bytes]:
    """The file's bytes, decompressed; the caller closes the stream."""
    if compression:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> IngestError:
    return IngestError(path, f"is not a readable UTF-8 text file (byte {exc.start}: {exc.reason})")


def _read_header(path: Path, sample: str) -> CsvHeader:
    """Find the header row: the first of the first lines whose cells mostly have names."""
    lines = sample.splitlines()
    ending = (
        "\r\n" if "\r\n" in sample else ("\r" if "\r" in sample and "\n" not in sample else "\n")
    )
    for skip, line in enumerate(lines[: MAX_PREAMBLE + 1]):
        delimiter = _delimiter_of(line)
        cells = next(csv.reader([line], delimiter=delimiter))
        named = sum(1 for c in cells if c.strip())
        if len(cells) >= 3 and named >= 0.8 * len(cells):
            has_data = any(ln.strip() for ln in lines[skip + 1 :])
            first = _first_row(lines[skip + 1 :], delimiter)
            return CsvHeader(cells, delimiter, skip, has_data, ending, first)
    if lines and _all_named(lines[0]):
        # A narrow file (an inventory with id and type only) has a header all the same.
        delimiter = _delimiter_of(lines[0])
        cells = next(csv.reader([lines[0]], delimiter=delimiter))
        first = _first_row(lines[1:], delimiter)
        return CsvHeader(cells, delimiter, 0, any(ln.strip() for ln in lines[1:]), ending, first)
    raise IngestError(path, "has no header row that names its columns", line=1)


def _all_named(line: str) -> bool:
    cells = next(csv.reader([line], delimiter=_delimiter_of(line)), [])
    return len(cells) >= 2 and all(c.strip() for c in cells)


def _delimiter_of(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def _first_row(lines: list[str], delimiter: str) -> tuple[str, ...]:
    rows = csv.reader(io.StringIO("\n".join(lines[:50])), delimiter=delimiter)
    for cells in rows:
        if cells:
            return tuple(cells)
    return ()


def _parse_json(path: Path, text: str) -> list[Any]:
    """One JSON document, or JSON lines; a syntax error names its line and column."""
    try:
        return _parse_documents(path, text)
    except RecursionError:
        # Python's parser recurses per level: 100,000 nested brackets exhaust its stack.
        raise IngestError(
            path, "is JSON nested too deeply to read (thousands of levels; no export nests so)"
        ) from None


def _parse_documents(path: Path, text: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as error:
        if error.msg != "Extra data":
            raise malformed_json(path, error) from None
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                documents.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise malformed_json(path, error, line=number) from None
    return documents


def malformed_json(path: Path, error: json.JSONDecodeError, line: int | None = None) -> IngestError:
    """The user error for a JSON syntax error; ``line`` overrides the error's line."""
    message = f"is not valid JSON: {error.msg} at column {error.colno}"
    return IngestError(path, message, line=line or error.lineno)


__all__ = ["CsvHeader", "ParquetSchema", "Sniffed", "malformed_json", "sniff"]
