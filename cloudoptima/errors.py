"""Errors raised for user mistakes: bad files, bad options, bad workspaces.

Every user error carries enough context (file, row, column) to be shown as one
plain sentence; the CLI prints ``str(error)`` and exits non-zero without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class CloudOptimaError(Exception):
    """Base class of errors caused by input or usage, not by a bug."""


class IngestError(CloudOptimaError):
    """A file could not be imported.

    ``row`` is the 1-based data row (the header is not counted); ``line`` is the
    1-based physical line of a text file when known. ``column`` is the column
    name as written in the file.
    """

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file)
        self.message = message
        self.row = row
        self.line = line
        self.column = column
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        where = [Path(self.file).name]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class WorkspaceError(CloudOptimaError):
    """The workspace is missing, locked, damaged or from a newer version."""
