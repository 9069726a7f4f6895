"""Report PDFs: one browser per process, pages numbered and dated, a clear 503 when printing fails."""

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from billing.reports import pdf
from tests.reports.browser import CHROMIUM, require_chromium

PAGE = (
    "<html><body>" + "".join(f"<p style='page-break-after:always'>Bagian {i}</p>" for i in range(3)) + "</body></html>"
)


def _text(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing (Debian package poppler-utils; ./dev.sh test installs it)", pytrace=False)
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pages_are_numbered_and_dated_by_one_browser(tmp_path: Path) -> None:
    require_chromium()
    printed = datetime(2024, 7, 1, 9, 30).astimezone()
    first = pdf.html_to_pdf(PAGE, CHROMIUM, printed)
    printer = pdf._printers[CHROMIUM]
    second = pdf.html_to_pdf(PAGE, CHROMIUM, printed)
    assert pdf._printers[CHROMIUM] is printer  # the same browser thread served both
    for data in (first, second):
        text = _text(data, tmp_path)
        assert "Halaman / Page 3 / 3" in text
        assert "Dicetak / Printed 2024-07-01 09:30" in text


def test_a_printer_that_cannot_start_answers_503(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    require_chromium()

    def broken(self) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("no driver")

    monkeypatch.setattr(pdf._Printer, "_serve", broken)
    monkeypatch.setattr(pdf, "_printers", {})
    with pytest.raises(pdf.PdfUnavailable):
        pdf.html_to_pdf(PAGE, CHROMIUM)
