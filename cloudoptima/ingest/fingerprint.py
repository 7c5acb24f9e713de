"""The content hash that tells a file imported before, computed beside the load.

The same thread, in the same pass over the bytes, also counts the lines of CSV inputs
(:mod:`.lines`: what DuckDB's reader may drop or refuse) and writes the raw archive copy
(:mod:`.archive`, dropped again when the hash turns out to be known), all on a core the
load leaves partly idle. One pass matters: at 10M rows (13 GB) a second read, hash and
zlib compression took a whole core for as long as the load, which then ran at 0.6x the
speed of a bare DuckDB load.
"""

from __future__ import annotations

import hashlib
import zlib
from contextlib import ExitStack
from pathlib import Path
from threading import Event, Thread

import duckdb

from cloudoptima.ingest.archive import Cancelled, RawArchive
from cloudoptima.ingest.detect import Detected
from cloudoptima.ingest.lines import CHUNK, LineCounter, LineStats

_GZIP_MAGIC = b"\x1f\x8b"
Known = dict[tuple[str, str | None], int]  # (content hash, dataset) -> the import that loaded it


def content_hash(path: Path, detected: Detected | None = None, stop: Event | None = None) -> str:
    """SHA-256 of a file, or of an export run's parts in order."""
    digest, _ = _Pass(stop).run(path, detected, count=False)
    return digest


class _Pass:
    """One read of an input: hashed, its lines counted, and copied to an archive sink.

    ``stop`` abandons the pass (the digest is then ""); ``no_copy`` only ends the copy
    (the load failed and will be retried, or was abandoned): hashing goes on.
    """

    def __init__(
        self, stop: Event | None, archive: RawArchive | None = None, no_copy: Event | None = None
    ) -> None:
        self.stop, self.archive, self.no_copy = stop, archive, no_copy
        self.copying = archive is not None

    def run(
        self, path: Path, detected: Detected | None, *, count: bool
    ) -> tuple[str, dict[Path, LineStats]]:
        digest = hashlib.sha256()
        files = list(detected.parts) if detected and path.is_dir() else [path]
        stats: dict[Path, LineStats] = {}
        for file in files:
            counter = _Counter() if count else None
            if not self._read(file, digest, counter):
                return "", {}
            if counter is not None:
                stats[file] = counter.stats()
        return digest.hexdigest(), stats

    def _read(self, file: Path, digest: hashlib._Hash, counter: _Counter | None) -> bool:
        """Feed one file to the hash, the counter and the sink; False when stopped."""
        with file.open("rb") as handle, ExitStack() as stack:
            sink = None
            if self.archive is not None and self._still_copying():
                sink = stack.enter_context(self.archive.sink(file))
            while chunk := handle.read(CHUNK):
                if self.stop is not None and self.stop.is_set():
                    return False
                digest.update(chunk)
                if counter is not None:
                    counter.feed(chunk)
                if sink is not None and self._still_copying():
                    sink.write(chunk)  # once given up, the folder is dropped as a whole
        return True

    def _still_copying(self) -> bool:
        """Whether the copy goes on: once the load gave it up, it stays given up."""
        if self.copying and self.no_copy is not None and self.no_copy.is_set():
            self.copying = False
        return self.copying


class _Counter:
    """A LineCounter over the decompressed text of a plain or gzip file."""

    def __init__(self) -> None:
        self.lines = LineCounter()
        self._gunzip: zlib._Decompress | None = None
        self._started = False

    def feed(self, chunk: bytes) -> None:
        if not self._started:
            self._started = True
            if chunk.startswith(_GZIP_MAGIC):
                self._gunzip = zlib.decompressobj(wbits=47)  # a gzip header, read
        if self._gunzip is None:
            self.lines.feed(chunk)
            return
        data = chunk
        while data:
            self.lines.feed(self._gunzip.decompress(data, CHUNK))
            data = self._gunzip.unconsumed_tail
            if self._gunzip.eof and self._gunzip.unused_data:  # another gzip member
                data = self._gunzip.unused_data + data
                self._gunzip = zlib.decompressobj(wbits=47)

    def stats(self) -> LineStats:
        return self.lines.stats()


class Fingerprint:
    """The content hash (and line counts, and archive copy), computed in a thread.

    Hashing a large export takes about an eighth of loading it. A hash already in the
    import log for the dataset the file is expected to load as interrupts the load
    (again and again, until the importer settles, since an interrupt between two
    statements is lost), so a file offered again costs little more than its hash.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        detected: Detected,
        *,
        expected: str | None,
        archive: RawArchive | None = None,
    ) -> None:
        self._con = con
        self._known = loaded_keys(con)
        self._settled = Event()  # the importer stopped loading: no more interrupts
        self._stop = Event()  # the import is abandoned: stop everything
        self._no_copy = Event()  # the load failed: its archive copy is not wanted (yet)
        self._digest: str | None = None
        self._stats: dict[Path, LineStats] = {}
        self._error: BaseException | None = None
        self.archive = archive
        count = detected.file_type == "csv"
        self._thread = Thread(
            target=self._run, args=(path, detected, expected, count), name="content-hash"
        )
        self._thread.start()

    def _run(self, path: Path, detected: Detected, expected: str | None, count: bool) -> None:
        try:
            if self.archive is not None:
                self.archive.begin()
            one_pass = _Pass(self._stop, self.archive, self._no_copy)
            digest, self._stats = one_pass.run(path, detected, count=count)
            self._digest = digest
            known = (digest, expected) in self._known
            if self.archive is not None and (known or not one_pass.copying or not digest):
                self.archive.discard()
            elif self.archive is not None:
                self.archive.complete(digest, self._stop)
            if known:
                while not self._settled.wait(0.02):
                    self._con.interrupt()
        except Cancelled:
            return
        except BaseException as exc:  # handed to the importing thread by settle()
            self._error = exc

    def settle(self, *, keep_copy: bool = True) -> str:
        """Stop interrupting and wait for the thread; the hash.

        ``keep_copy`` False stops an archive copy still being written (the load failed);
        the hash is still completed, as a retry of the load needs it.
        """
        if not keep_copy:
            self._no_copy.set()
        while self._digest is None and self._error is None and self._thread.is_alive():
            self._thread.join(0.05)
        self._settled.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest

    @property
    def digest(self) -> str:
        """The hash (after :meth:`settle`)."""
        assert self._digest is not None
        return self._digest

    @property
    def line_stats(self) -> dict[Path, LineStats]:
        """Line counts of each CSV part (after :meth:`settle`); empty for other inputs."""
        return self._stats

    def previous(self, dataset: str | None) -> int | None:
        """The import that loaded this content as ``dataset`` before, if any."""
        return self._known.get((self.digest, dataset))

    def cancel(self) -> None:
        """Stop hashing, copying and interrupting (the import is abandoned)."""
        self._stop.set()
        self._settled.set()
        self._thread.join()
        if self.archive is not None:
            self.archive.discard()


def loaded_keys(con: duckdb.DuckDBPyConnection) -> Known:
    """(Content hash, dataset) -> the first import that loaded it.

    The dataset is part of the key: an estate without commitments exports byte-identical
    actual and amortized files, and each must still fill its own cost column.
    """
    rows = con.execute(
        """SELECT content_hash, dataset, min(import_id) FROM imports
           WHERE status IN ('loaded', 'replaced') AND content_hash IS NOT NULL GROUP BY 1, 2"""
    ).fetchall()
    return {(str(digest), dataset): int(first) for digest, dataset, first in rows}
