"""The raw archive: a verified copy of every imported file, stored by its content hash.

``raw/<sha256>/<file name>.gz`` (or the name as it is for files compressed already;
an export run keeps its folder: ``raw/<sha256>/<run folder>/...``). The copy is
written under a temporary name, its source bytes are hashed again on the way in and
must equal the hash the import recorded (a file changed while it was imported is
refused, never archived half old, half new), it is flushed to disk and only then
renamed into place. A target that exists was therefore complete when it was renamed:
it is never rewritten. A disk that fills up mid-copy leaves nothing behind. The copy
is always a real copy: a hard link would change when the user edits the source.

Normally the copy is written in the same pass that hashes the input (:meth:`RawArchive.begin`
and :meth:`RawArchive.sink` from the hashing thread): the bytes archived are then the bytes
hashed, and a 13 GB export is read once instead of twice. :meth:`RawArchive.write` is the
second-pass copy for when that copy was dropped (the load needed a retry).

Compression is gzip level 1 through ISA-L (``isal``): the same format at about five
times zlib's speed, which matters because the copy runs beside the load on the same cores.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import uuid
from pathlib import Path
from threading import Event
from types import TracebackType
from typing import IO, Any

from isal import igzip  # ISA-L's gzip: the same files, several times faster than zlib

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

    def begin(self) -> None:
        """Open a temporary folder for a copy written while the input is hashed."""
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        self._temp = self.raw_dir / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        self._temp.mkdir()

    def sink(self, part: Path) -> Sink:
        """Where the bytes of ``part`` go as they are hashed (after :meth:`begin`)."""
        assert self._temp is not None
        return Sink(self._temp / self._relative(part))

    def complete(self, digest: str, stop: Event | None = None) -> None:
        """Every part is in: add a run's other files and flush; or drop a needless copy."""
        if self._temp is None:
            return
        if (self.raw_dir / digest).exists():
            self.discard()  # this content was archived before (as another dataset)
            return
        try:
            self._copy_others(self._temp, stop)
            _fsync(self._temp)
        except BaseException:
            self.discard()
            raise
        self._digest = digest

    def write(self, digest: str, stop: Event | None = None) -> None:
        """Copy the input into a temporary folder, verifying it hashes to ``digest``."""
        if self._digest is not None or (self.raw_dir / digest).exists():
            return  # written already (by the hashing thread), or archived before
        self.discard()  # an unfinished copy of the hashing pass, if any
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        temp = self.raw_dir / f"{TEMP_PREFIX}{digest[:16]}-{uuid.uuid4().hex[:8]}"
        self._temp = temp
        try:
            self._copy_all(temp, digest, stop)
            _fsync(temp)
        except BaseException:
            self.discard()
            raise
        self._digest = digest

    def _relative(self, part: Path) -> Path:
        """Where ``part`` goes inside the copy: its name, or its place in the run folder."""
        if not self.source.is_dir():
            return Path(part.name)
        return Path(self.source.name) / part.relative_to(self.source)

    def _copy_all(self, temp: Path, digest: str, stop: Event | None) -> None:
        hashed = hashlib.sha256()
        for part in self.parts:  # in the order the import hashed them
            _copy_file(part, temp / self._relative(part), hashed, stop)
        self._copy_others(temp, stop)
        if hashed.hexdigest() != digest:
            raise IngestError(
                self.source,
                "changed while it was being imported (its bytes no longer match what was "
                "loaded): import it again once nothing writes to it",
            )

    def _copy_others(self, temp: Path, stop: Event | None) -> None:
        """The files of an export run folder that were not loaded (its manifest...)."""
        if self.source.is_dir():
            others = sorted(
                p for p in self.source.rglob("*") if p.is_file() and p not in self.parts
            )
            for other in others:
                _copy_file(other, temp / self._relative(other), None, stop)

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
        self._digest = None
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
        self._digest = None


def _copy_file(
    source: Path, target: Path, hashed: hashlib._Hash | None, stop: Event | None
) -> None:
    """Copy one file (gzip-compressed unless it is already), flushed and size-checked."""
    with source.open("rb") as reader, Sink(target) as sink:
        _pump(reader, sink, hashed, stop)


class Sink:
    """One archived file being written: gzip-compressed unless it is already.

    Use as a context manager; on a clean exit the file is flushed to disk and its size
    checked against what was written (a full disk must not leave a short copy).
    """

    def __init__(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        compressed = target.suffix.lower() in COMPRESSED
        self.path = target if compressed else target.with_name(target.name + ".gz")
        self._handle = self.path.open("xb")
        self._counted = _Counting(self._handle)
        self._zipped: Any = None
        if not compressed:
            # Level 1: cost CSVs still shrink about tenfold, at a fraction of level 6's time.
            self._zipped = igzip.IGzipFile(  # type: ignore[no-untyped-call]  # untyped in isal
                target.name, "wb", compresslevel=1, fileobj=self._counted, mtime=0
            )
        self._writer: Any = self._zipped if self._zipped is not None else self._counted

    def write(self, chunk: bytes) -> None:
        """Add the next bytes of the file."""
        self._writer.write(chunk)

    def __enter__(self) -> Sink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._zipped is not None:
                self._zipped.close()
            if kind is None:
                self._handle.flush()
                os.fsync(self._handle.fileno())
                if os.fstat(self._handle.fileno()).st_size != self._counted.written:
                    raise OSError(errno.EIO, "the archive copy on disk is shorter than written")
        finally:
            self._handle.close()


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
