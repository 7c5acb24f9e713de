"""The format catalogue: every input format cloudoptima reads registers here.

Like the rule catalogue (:mod:`cloudoptima.analysis.rules`), a format is data: a name,
the kind of data it holds, the file types it comes in, a *content probe* and a loader.
:func:`identify` offers a sniffed file to the probes in registration order and takes the
first that recognises it, so what a file is follows from its content alone. Built-in
formats register when their modules are imported by :func:`load_builtin_formats`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudoptima.errors import CloudOptimaError

if TYPE_CHECKING:
    import duckdb

    from cloudoptima.ingest.detect import Detected
    from cloudoptima.ingest.importer import ImportOptions
    from cloudoptima.ingest.sniff import Sniffed

KINDS = ("cost", "inventory", "metrics", "reservation-recommendations")


@dataclass(frozen=True)
class Probe:
    """What a probe read from the content besides the format itself."""

    version: str | None = None
    dataset: str | None = None  # focus | actual | amortized, when the content says


ProbeFn = Callable[["Sniffed"], Probe | None]
LoadFn = Callable[["duckdb.DuckDBPyConnection", "Detected", int, "ImportOptions"], dict[str, Any]]


@dataclass(frozen=True)
class Format:
    """One input format: how to recognise it and how to load it."""

    name: str  # recorded in the import log, e.g. focus, ea, resource-graph-json
    kind: str  # one of KINDS: the table it feeds
    file_types: tuple[str, ...]  # csv | json | parquet: the files its probe looks at
    probe: ProbeFn
    load: LoadFn


FORMATS: dict[str, Format] = {}
BUILTIN_MODULES = ("cost_loader", "reservations", "inventory", "metrics")


def register(fmt: Format) -> Format:
    """Add a format to the catalogue; names are recorded in import logs, so unique."""
    if fmt.kind not in KINDS:
        raise CloudOptimaError(f"format '{fmt.name}' has unknown kind '{fmt.kind}'")
    if fmt.name in FORMATS and FORMATS[fmt.name] != fmt:
        raise CloudOptimaError(f"a format named '{fmt.name}' is already registered")
    FORMATS[fmt.name] = fmt
    return fmt


def file_format(
    name: str, kind: str, file_types: tuple[str, ...], *, load: LoadFn
) -> Callable[[ProbeFn], ProbeFn]:
    """Decorator form of :func:`register` for probe functions."""

    def wrap(probe: ProbeFn) -> ProbeFn:
        register(Format(name, kind, file_types, probe, load))
        return probe

    return wrap


def load_builtin_formats() -> dict[str, Format]:
    """Import the built-in format modules (registration happens on import)."""
    for module in BUILTIN_MODULES:
        importlib.import_module(f"cloudoptima.ingest.{module}")
    return FORMATS


def identify(sniffed: Sniffed, kinds: tuple[str, ...] = KINDS) -> tuple[Format, Probe] | None:
    """The first registered format of ``kinds`` whose probe recognises the content."""
    for fmt in load_builtin_formats().values():
        if fmt.kind in kinds and sniffed.file_type in fmt.file_types:
            found = fmt.probe(sniffed)
            if found is not None:
                return fmt, found
    return None


__all__ = [
    "FORMATS",
    "KINDS",
    "Format",
    "Probe",
    "file_format",
    "identify",
    "load_builtin_formats",
    "register",
]
