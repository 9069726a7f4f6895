"""The PDF of a report page, printed by headless Chromium (Debian's ``chromium``): the same engine
that renders the page on screen, so the PDF looks like what a manager saw."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from billing.errors import BillingError

TIMEOUT_SECONDS = 60
FLAGS = (
    "--headless",
    "--no-sandbox",  # as an unprivileged service user (or root in a container) there is no sandbox to use
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
)


class PdfUnavailable(BillingError):
    status = 503
    code = "pdf_unavailable"
    title = "PDF tidak tersedia / PDF unavailable"


def html_to_pdf(html: str, chromium: str) -> bytes:
    binary = shutil.which(chromium)
    if binary is None:
        raise PdfUnavailable(
            f"Chromium ('{chromium}') tidak terpasang di server. / Chromium ('{chromium}') is not installed here."
        )
    with tempfile.TemporaryDirectory(prefix="billing-report-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        # A profile of its own: two reports printed at once must not share one.
        args = [binary, *FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", page.as_uri()]
        try:
            subprocess.run(args, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfUnavailable("Chromium tidak selesai mencetak. / Chromium did not finish printing.") from exc
        if not out.exists() or out.stat().st_size == 0:
            raise PdfUnavailable("Chromium gagal mencetak PDF. / Chromium failed to print the PDF.")
        return out.read_bytes()
