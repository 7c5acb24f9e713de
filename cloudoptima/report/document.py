"""The report's page layout: an fpdf2 document with header, footer, headings and tables.

Text is set in the DejaVu fonts matplotlib ships (Unicode: currency symbols, accented,
Greek and Cyrillic resource names print). Tables repeat their header row on every
page they run onto. Everything read from the workspace is written as plain text
(never fpdf2 markdown), so a resource name cannot restyle the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.table import Table

from cloudoptima.charts import BRAND

INK, MUTED, RULE = "#201F1E", "#605E5C", "#C8C6C4"
HEADING_FILL, ZEBRA = "#DEECF9", "#F6F8FA"
PAPERS = {"A4": "A4", "Letter": "Letter"}
FONT, MONO = "DejaVu", "DejaVuMono"
MARGIN = 16  # mm
BODY_PT, SMALL_PT, TABLE_PT = 10, 8, 8.5


@dataclass(frozen=True)
class Spanning:
    """A table row of one cell across every column (an ``az`` command under its finding)."""

    text: str
    mono: bool = True


Row = Sequence[str] | Spanning


def font_dir() -> Path:
    """Where matplotlib keeps its DejaVu TTF files."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class ReportDocument(FPDF):
    """A4 or Letter pages with the report's running header and numbered footer."""

    def __init__(self, *, paper: str, running_title: str, stamp: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format=PAPERS[paper])
        self.running_title = running_title
        self.running_currency = ""
        self.stamp = stamp
        fonts = font_dir()
        for style, name in (("", "DejaVuSans"), ("B", "DejaVuSans-Bold")):
            self.add_font(FONT, style, fonts / f"{name}.ttf")
        self.add_font(FONT, "I", fonts / "DejaVuSans-Oblique.ttf")
        self.add_font(MONO, "", fonts / "DejaVuSansMono.ttf")
        self.set_margins(MARGIN, MARGIN + 2, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 2)
        self.set_creation_date(stamp)
        self.set_creator("CloudOptima")
        self.set_producer("CloudOptima (fpdf2)")
        self.set_lang("en")
        self.set_text_color(INK)

    # -- running header and footer ------------------------------------------------------
    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 7.5)
        self.set_text_color(MUTED)
        self.set_y(8)
        self.cell(self.epw * 0.75, 5, self.running_title)
        self.cell(self.epw * 0.25, 5, self.running_currency, align="R")
        self.set_draw_color(RULE)
        self.line(self.l_margin, 13.5, self.w - self.r_margin, 13.5)
        self.set_text_color(INK)
        self.set_y(MARGIN + 2)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(MUTED)
        self.cell(self.epw / 2, 5, f"CloudOptima · figures as of {self.stamp:%Y-%m-%d %H:%M} UTC")
        self.cell(self.epw / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(INK)

    # -- text ---------------------------------------------------------------------------
    def heading(self, text: str) -> None:
        """A section title, never alone at the foot of a page."""
        self.keep_room(45)
        self.ln(2)
        self.set_font(FONT, "B", 15)
        self.set_text_color(BRAND)
        self.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(INK)
        self.ln(1.5)

    def subheading(self, text: str) -> None:
        self.keep_room(30)
        self.ln(1.5)
        self.set_font(FONT, "B", 11)
        self.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(0.5)

    def paragraph(self, text: str, *, size: float = BODY_PT) -> None:
        self.set_font(FONT, "", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def note(self, text: str) -> None:
        """Small grey text: how a figure was computed, what is left out."""
        self.set_font(FONT, "I", SMALL_PT)
        self.set_text_color(MUTED)
        self.multi_cell(0, 4, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(INK)
        self.ln(1.5)

    def keep_room(self, height: float) -> None:
        """Start a new page unless ``height`` mm are left on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    # -- tables and charts --------------------------------------------------------------
    def data_table(
        self,
        headers: Sequence[str],
        rows: Sequence[Row],
        *,
        widths: Sequence[float],
        align: str,
        bold_last: bool = False,
    ) -> None:
        """A table whose header row repeats on every page; ``align`` is one of L/R per column."""
        self.keep_room(20)
        self.set_font(FONT, "", TABLE_PT)
        aligns = tuple("RIGHT" if a == "R" else "LEFT" for a in align)
        heading = FontFace(emphasis="BOLD", color=INK, fill_color=HEADING_FILL)
        with self.table(
            col_widths=tuple(widths),
            text_align=aligns,
            headings_style=heading,
            borders_layout=TableBordersLayout.SINGLE_TOP_LINE,
            line_height=4.2,
            padding=(1.2, 1.5),
            width=self.epw,
        ) as table:
            table.row(list(headers))
            group = 0  # a row and the spanning rows under it share one shade
            for index, row in enumerate(rows):
                group += 0 if isinstance(row, Spanning) else 1
                fill = ZEBRA if group % 2 == 0 else None
                bold = bold_last and index == len(rows) - 1
                self._table_row(table, row, len(headers), fill, bold)
        self.ln(3)

    @staticmethod
    def _table_row(table: Table, row: Row, columns: int, fill: str | None, bold: bool) -> None:
        line = table.row()
        if isinstance(row, Spanning):
            family = MONO if row.mono else FONT
            style = FontFace(family=family, size_pt=6.8, color=MUTED, fill_color=fill)
            line.cell(row.text, colspan=columns, style=style, align="LEFT")
            return
        style = FontFace(emphasis="BOLD" if bold else None, fill_color=fill)
        for value in row:
            line.cell(value, style=style)

    def svg(self, image: bytes, *, height: float) -> None:
        """A vector chart across the text width."""
        self.keep_room(height + 4)
        self.image(BytesIO(image), x=self.l_margin, w=self.epw, h=height, keep_aspect_ratio=True)
        self.ln(2)


def clean_svg(image: bytes) -> bytes:
    """Drop the <metadata> block fpdf2 does not read (it would log a warning per chart)."""
    return re.sub(rb"<metadata>.*?</metadata>", b"", image, flags=re.DOTALL)
