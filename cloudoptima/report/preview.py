"""A page of a PDF as a PNG image, for the app's preview (pypdfium2, else poppler's pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from cloudoptima.errors import CloudOptimaError


def first_page_png(pdf: bytes, *, dpi: int = 110) -> bytes:
    """The first page of ``pdf`` rendered at ``dpi`` as PNG bytes."""
    try:
        import pypdfium2
    except ImportError:
        return _with_pdftoppm(pdf, dpi)
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _with_pdftoppm(pdf: bytes, dpi: int) -> bytes:
    if shutil.which("pdftoppm") is None:
        raise CloudOptimaError(
            "previewing a PDF needs pypdfium2 (pip install pypdfium2) or poppler's pdftoppm"
        )
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "report.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(source),
                str(Path(folder) / "page"),
            ],
            check=True,
            capture_output=True,
        )
        return (Path(folder) / "page.png").read_bytes()
