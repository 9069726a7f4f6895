"""The PDF of a report page, printed by headless Chromium (Debian's ``chromium``): the same engine
that renders the page on screen, so the PDF looks like what a manager saw.

One browser per process, started at the first PDF and kept (starting Chromium cost 1.6 s of every
request). Playwright's sync API belongs to the thread that started it, so the browser lives in a
thread of its own and requests hand it their page through a queue; a browser that crashed is started
again for the next page. Each page is printed with its page number and the print date."""

import queue
import shutil
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any

from billing.errors import BillingError

TIMEOUT_SECONDS = 60
FLAGS = [
    "--no-sandbox",  # as an unprivileged service user (or root in a container) there is no sandbox to use
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_FOOTER = (
    '<div style="font-size:8px;width:100%;padding:0 12mm;display:flex;justify-content:space-between;'
    'font-family:sans-serif;color:#555"><span>Dicetak / Printed {printed}</span>'
    '<span>Halaman / Page <span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
)


class PdfUnavailable(BillingError):
    status = 503
    code = "pdf_unavailable"
    title = "PDF tidak tersedia / PDF unavailable"


class _Printer:
    """The process's browser, in its own thread."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.jobs: queue.Queue[tuple[str, str, Future[bytes]]] = queue.Queue()
        self.broken: Exception | None = None
        threading.Thread(target=self._run, name="report-pdf", daemon=True).start()

    def _run(self) -> None:
        try:
            self._serve()
        except Exception as exc:  # Playwright itself could not start: every page waiting is told so
            self.broken = exc
            while True:
                *_, done = self.jobs.get()
                if done.set_running_or_notify_cancel():
                    done.set_exception(exc)

    def _serve(self) -> None:
        from playwright.sync_api import Error, sync_playwright

        with sync_playwright() as pw:
            browser: Any = None
            while True:
                html, printed, done = self.jobs.get()
                if not done.set_running_or_notify_cancel():
                    continue
                try:
                    if browser is None or not browser.is_connected():
                        browser = pw.chromium.launch(executable_path=self.executable, args=FLAGS)
                    page = browser.new_page()
                    try:
                        page.set_default_timeout(TIMEOUT_SECONDS * 1000)
                        page.set_content(html, wait_until="load")
                        pdf = page.pdf(
                            format="A4",
                            print_background=True,
                            display_header_footer=True,
                            header_template="<span></span>",
                            footer_template=_FOOTER.format(printed=printed),
                            margin={"top": "12mm", "bottom": "16mm", "left": "10mm", "right": "10mm"},
                        )
                    finally:
                        page.close()
                    done.set_result(pdf)
                except Error as exc:
                    browser = None  # started again for the next page
                    done.set_exception(exc)


_printers: dict[str, _Printer] = {}
_lock = threading.Lock()


def html_to_pdf(html: str, chromium: str, printed: datetime | None = None) -> bytes:
    binary = shutil.which(chromium)
    if binary is None:
        raise PdfUnavailable(
            f"Chromium ('{chromium}') tidak terpasang di server. / Chromium ('{chromium}') is not installed here."
        )
    with _lock:
        printer = _printers.get(binary)
        if printer is None or printer.broken is not None:
            printer = _printers[binary] = _Printer(binary)
    done: Future[bytes] = Future()
    stamp = (printed or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z")
    printer.jobs.put((html, stamp, done))
    try:
        return done.result(timeout=TIMEOUT_SECONDS)
    except FutureTimeout as exc:
        done.cancel()
        raise PdfUnavailable("Chromium tidak selesai mencetak. / Chromium did not finish printing.") from exc
    except Exception as exc:
        raise PdfUnavailable("Chromium gagal mencetak PDF. / Chromium failed to print the PDF.") from exc
