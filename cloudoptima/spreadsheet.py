"""CSV that is safe to open in a spreadsheet: cells that would run as formulas are neutralised.

Excel, LibreOffice and Google Sheets execute a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return (OWASP's CSV injection rule). A tag value
such as ``=HYPERLINK("http://evil", "click")`` from an imported file must stay text:
such cells get a leading apostrophe. Numbers are never changed (``-12.5`` in a
number column is written as is), so the CSV keeps full precision.

Examples
--------
>>> neutralise("=1+1"), neutralise("-3"), neutralise("-x"), neutralise("plain")
("'=1+1", '-3', "'-x", 'plain')
"""

from __future__ import annotations

import re

import polars as pl

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet shows rather than runs."""
    if cell.startswith(_TRIGGERS) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell and column name neutralised (numeric columns untouched).

    Categorical and enum columns are text in a spreadsheet too: they are written as
    neutralised strings.
    """
    text = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)
    ]
    safe = frame.with_columns(
        pl.col(name)
        .cast(pl.String)
        .map_elements(neutralise, return_dtype=pl.String, skip_nulls=True)
        for name in text
    )
    # a header can come from input too (``costs --by tag:KEY`` names a column after a tag)
    return safe.rename({name: neutralise(name) for name in safe.columns})


def to_csv(frame: pl.DataFrame) -> str:
    """CSV text of ``frame`` with formula cells neutralised: use it for every CSV written."""
    return safe_frame(frame).write_csv()
