"""A YAML document that several processes read and change: locked, atomic, owner-only.

Every change is a read-modify-write under a file lock, written to a temporary file
and renamed over the old one, so concurrent changes are serialised (none is lost)
and a crash never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from cloudoptima.errors import CloudOptimaError
from cloudoptima.storage.locks import locked


class YamlFile:
    """One YAML mapping on disk; ``empty`` builds the document of a file not written yet."""

    def __init__(self, path: Path, empty: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self._empty = empty

    def load(self) -> dict[str, Any]:
        """The document as it is now (``empty()`` when the file does not exist)."""
        if not self.path.exists():
            return self._empty()
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise CloudOptimaError(f"{self.path} is not valid YAML: {exc}") from exc
        except OSError as exc:
            raise CloudOptimaError(f"cannot read {self.path}: {exc.strerror}") from exc
        if not isinstance(data, dict):
            raise CloudOptimaError(f"{self.path} does not hold a YAML mapping")
        return {**self._empty(), **data}

    @contextlib.contextmanager
    def edit(self) -> Iterator[dict[str, Any]]:
        """Yield the document under the lock; what the block leaves in it is saved atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with locked(self.path.with_name(self.path.name + ".lock"), what=str(self.path), timeout=60):
            data = self.load()
            yield data
            self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                yaml.safe_dump(data, handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).chmod(0o600)  # it holds password hashes
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
