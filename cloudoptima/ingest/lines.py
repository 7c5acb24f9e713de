"""What the lines of a text file are like, counted while the file is hashed anyway.

DuckDB's CSV reader has two blind spots this guards against:

- a row longer than its buffer (a 40 MB description) is **skipped without an error**,
  so the import would report 200 rows of 201; counting the file's lines independently
  tells a dropped row from a quoted line break, and names the line too long to read;
- in strict mode it refuses a file whose line endings are mixed (CRLF lines with an
  LF-only last line, as editing or concatenating on Windows leaves them); once it has,
  :func:`mixed_endings` tells why and the importer reads a normalised copy instead.

:class:`LineCounter` runs on every CSV import, so it does the least that answers the
first question: one ``bytes.count`` and two searches that stop at the first and last
line break of each megabyte. The exact count (blank lines, line breaks inside quoted
cells) is made only when the cheap one disagrees with the reader.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from cloudoptima.errors import IngestError

# DuckDB's default max_line_size, passed explicitly so the reader and messages agree.
MAX_LINE_BYTES = 2_000_000
CHUNK = 1 << 20  # smaller than MAX_LINE_BYTES: a line longer than it spans chunks
_TAIL = 64  # bytes kept from the end, for blank lines after the last row


@dataclass(frozen=True)
class LineStats:
    """The lines of one text file."""

    lines: int  # physical lines, the last one counted even without a line break
    trailing_blank: int  # empty lines at the end, which no reader counts as rows
    too_long: tuple[int, int] | None  # (line number, bytes) of the first line too long to read

    def data_rows(self, header_lines: int) -> int:
        """The rows a reader returns when no cell holds a line break or a blank line."""
        return max(self.lines - header_lines - self.trailing_blank, 0)


class LineCounter:
    """Feed it a file's bytes in order (chunks of at most ``CHUNK``); ``stats()`` at the end."""

    def __init__(self) -> None:
        self._breaks = 0
        self._run = 0  # bytes of the current line so far
        self._tail = b""
        self._too_long: tuple[int, int] | None = None

    def feed(self, chunk: bytes) -> None:
        """Count one chunk: at most ``CHUNK`` bytes, so only lines across chunks can be too long."""
        if not chunk:
            return
        first = chunk.find(b"\n")
        if first < 0:
            self._run += len(chunk)
        else:
            self._line_ended(self._run + first)
            self._breaks += chunk.count(b"\n")
            self._run = len(chunk) - chunk.rfind(b"\n") - 1
        # only the chunk's end is joined: joining all of it copied every byte once more
        self._tail = (self._tail + chunk[-_TAIL:])[-_TAIL:]

    def _line_ended(self, length: int) -> None:
        if self._too_long is None and length > MAX_LINE_BYTES:
            self._too_long = (self._breaks + 1, length)

    def stats(self) -> LineStats:
        """The counts of everything fed."""
        unterminated = bool(self._tail) and not self._tail.endswith(b"\n")
        if unterminated:
            self._line_ended(self._run)
        lines = self._breaks + unterminated
        return LineStats(lines, _trailing_blank(self._tail), self._too_long)


def _trailing_blank(tail: bytes) -> int:
    """Empty lines at the end of the file: '...row\\n\\r\\n\\n' has two."""
    blank = 0
    rest = tail
    while rest.endswith((b"\n\n", b"\n\r\n")):
        rest = rest[: -1 if rest.endswith(b"\n\n") else -2]
        blank += 1
    return blank


def too_long_error(path: Path, stats: LineStats) -> IngestError | None:
    """The error for a line too long to read, if the file has one."""
    if stats.too_long is None:
        return None
    line, length = stats.too_long
    return IngestError(
        path,
        f"the line is {length:,} bytes long, more than the {MAX_LINE_BYTES:,} a row may "
        "hold: the file is damaged or a cell holds far more than a cost export writes",
        line=line,
    )


def mixed_endings(source: Path, compressed: bool) -> bool:
    """Whether some lines end in CR LF and others in LF alone (read only after a failure)."""
    crlf = breaks = 0
    tail = b""
    with _open(source, compressed) as reader:
        while chunk := reader.read(CHUNK):
            crlf += chunk.count(b"\r\n") + (tail == b"\r" and chunk.startswith(b"\n"))
            breaks += chunk.count(b"\n")
            tail = chunk[-1:]
    return 0 < crlf < breaks


def normalised_copy(source: Path, compressed: bool, target: Path) -> Path:
    """Copy ``source`` to ``target`` with every CR LF turned into LF (decompressed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _open(source, compressed) as reader, target.open("wb") as writer:
        pending = b""
        while chunk := reader.read(CHUNK):
            chunk = pending + chunk
            # a CR at the end may be the first half of a CR LF split across chunks
            pending = chunk[-1:] if chunk.endswith(b"\r") else b""
            writer.write(chunk[: len(chunk) - len(pending)].replace(b"\r\n", b"\n"))
        writer.write(pending)
    return target


def _open(source: Path, compressed: bool) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(source, "rb")) if compressed else source.open("rb")


__all__ = [
    "CHUNK",
    "MAX_LINE_BYTES",
    "LineCounter",
    "LineStats",
    "mixed_endings",
    "normalised_copy",
    "too_long_error",
]
