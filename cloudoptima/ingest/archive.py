"""The raw archive: a verified copy of every imported file, stored by its content hash.

``raw/<sha256>/<file name>.gz`` (or the name as it is for files compressed already;
an export run keeps its folder: ``raw/<sha256>/<run folder>/...``). The copy is
written under a temporary name, its source bytes are hashed again on the way in and
must equal the hash the import recorded (a file changed while it was imported is
refused, never archived half old, half new), it is flushed to disk and only then
renamed into place. A target that exists was therefore complete when it was renamed:
it is never rewritten. A disk that fills up mid-copy leaves nothing behind. The copy
is always a real copy: a hard link would change when the user edits the source.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import shutil
import uuid
from pathlib import Path
from threading import Event
from typing import IO, Any

from cloudoptima.errors import IngestError
from cloudoptima.ingest.lines import CHUNK

# Files kept as they are: compressing them again gains nothing.
COMPRESSED = frozenset({".gz", ".parquet", ".zip", ".bz2", ".xz", ".zst", ".snappy"})
TEMP_PREFIX = ".tmp-"


class Cancelled(Exception):
    """The import was abandoned while its archive was being written."""


class RawArchive:
    """The archive copy of one input (a file, or an export run folder and its parts)."""

    def __init__(self, raw_dir: Path, source: Path, parts: tuple[Path, ...]) -> None:
        self.raw_dir = raw_dir
        self.source = source
        self.parts = parts if source.is_dir() else (source,)
        self._temp: Path | None = None
        self._digest: str | None = None
        self._published: Path | None = None

    def write(self, digest: str, stop: Event | None = None) -> None:
        """Copy the input into a temporary folder, verifying it hashes to ``digest``."""
        if self._temp is not None or (self.raw_dir / digest).exists():
            return  # written already (by the hashing thread), or archived before
        self._digest = digest
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        temp = self.raw_dir / f"{TEMP_PREFIX}{digest[:16]}-{uuid.uuid4().hex[:8]}"
        self._temp = temp
        try:
            self._copy_all(temp, digest, stop)
            _fsync(temp)
        except BaseException:
            self.discard()
            raise

    def _copy_all(self, temp: Path, digest: str, stop: Event | None) -> None:
        hashed = hashlib.sha256()
        if not self.source.is_dir():
            _copy_file(self.source, temp / self.source.name, hashed, stop)
        else:
            root = temp / self.source.name
            for part in self.parts:  # in the order the import hashed them
                _copy_file(part, root / part.relative_to(self.source), hashed, stop)
            others = sorted(
                p for p in self.source.rglob("*") if p.is_file() and p not in self.parts
            )
            for other in others:
                _copy_file(other, root / other.relative_to(self.source), None, stop)
        if hashed.hexdigest() != digest:
            raise IngestError(
                self.source,
                "changed while it was being imported (its bytes no longer match what was "
                "loaded): import it again once nothing writes to it",
            )

    def publish(self) -> None:
        """Rename the verified copy into place (nothing to do when it was there already)."""
        if self._temp is None or self._digest is None:
            return
        target = self.raw_dir / self._digest
        try:
            self._temp.rename(target)
        except OSError:
            if not target.exists():
                raise
            self.discard()  # another import of the same content got there first
            return
        self._temp = None
        self._published = target
        _fsync(self.raw_dir)

    def unpublish(self) -> None:
        """Remove the copy this import put in place (the import failed after all)."""
        if self._published is not None:
            shutil.rmtree(self._published, ignore_errors=True)
            self._published = None

    def discard(self) -> None:
        """Remove the temporary copy, if any."""
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None


def _copy_file(
    source: Path, target: Path, hashed: hashlib._Hash | None, stop: Event | None
) -> None:
    """Copy one file (gzip-compressed unless it is already), flushed and size-checked."""
    target.parent.mkdir(parents=True, exist_ok=True)
    compressed = source.suffix.lower() in COMPRESSED
    out_path = target if compressed else target.with_name(target.name + ".gz")
    with source.open("rb") as reader, out_path.open("xb") as handle:
        counted = _Counting(handle)
        if compressed:
            _pump(reader, counted, hashed, stop)
        else:
            # Level 1: cost CSVs still shrink about tenfold, at a fraction of level 6's time.
            with gzip.GzipFile(
                source.name, "wb", compresslevel=1, fileobj=counted, mtime=0
            ) as zipped:
                _pump(reader, zipped, hashed, stop)
        handle.flush()
        os.fsync(handle.fileno())
        if os.fstat(handle.fileno()).st_size != counted.written:
            raise OSError(errno.EIO, "the archive copy on disk is shorter than what was written")


def _pump(reader: IO[bytes], writer: Any, hashed: hashlib._Hash | None, stop: Event | None) -> None:
    while chunk := reader.read(CHUNK):
        if stop is not None and stop.is_set():
            raise Cancelled
        if hashed is not None:
            hashed.update(chunk)
        writer.write(chunk)


class _Counting:
    """A file's writer that counts the bytes it is given (to check the size on disk)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.written = 0

    def write(self, data: bytes) -> int:
        self.handle.write(data)
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        self.handle.flush()


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (and its sub-folders'), to disk."""
    if path.is_dir():
        if not hasattr(os, "O_DIRECTORY"):
            return  # Windows cannot open a folder to flush it; its renames are durable already
        for child in path.iterdir():
            if child.is_dir():
                _fsync(child)
        flags = os.O_RDONLY | os.O_DIRECTORY
    else:
        flags = os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def purge_temporaries(raw_dir: Path) -> None:
    """Remove archive copies a crashed import left behind (run under the write lock)."""
    if raw_dir.is_dir():
        for leftover in raw_dir.glob(f"{TEMP_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
