"""The README's pictures of the staff workspace, made from the demo: ``billing demo seed`` in a fresh
sandbox database (SQLite, in a temporary directory), the app served on 127.0.0.1, Debian's Chromium
signed in as the demo manager (the dashboard: the province of the demo's region for its half year) and
as the demo finance user (the failed-debit queue, its first page).

    python docs/screenshots.py            # writes docs/staff-dashboard.png and docs/staff-queue.png

Needs what ``./dev.sh test`` installs (the test extra: Playwright; /usr/bin/chromium). About a minute,
most of it the demo's simulation."""

import re
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from billing import create_app
from billing.migrations import upgrade
from billing.settings import Settings

DOCS = Path(__file__).resolve().parent
OUT, QUEUE = DOCS / "staff-dashboard.png", DOCS / "staff-queue.png"
VIEWPORT = {"width": 1100, "height": 900}
DASHBOARD = re.compile(r"(/staff/dashboard\?\S+)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.sqlite3"
        upgrade(url)
        app = create_app(Settings(database_url=url, log_json=False, log_level="WARNING", sandbox=True))
        seeded = app.test_cli_runner().invoke(args=["demo", "seed", "--tokens-file", f"{tmp}/tokens.txt"])
        if seeded.exit_code != 0:
            sys.exit(seeded.output)
        passwords = {
            role: next(line.split()[2] for line in seeded.output.splitlines() if f"demo-{role}" in line)
            for role in ("manager", "finance")
        }
        found = DASHBOARD.search(seeded.output)
        assert found, seeded.output
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                for role, path, shot in (("manager", found[1], OUT), ("finance", "/staff/queue", QUEUE)):
                    page = browser.new_context(viewport=VIEWPORT).new_page()
                    page.goto(base + path)  # signed out: the sign-in page, then back here
                    page.fill("#login", f"demo-{role}")
                    page.fill("#password", passwords[role])
                    page.click("form[action='/staff/login'] button[type=submit]")
                    page.wait_for_url(f"**{path.split('?')[0]}**")
                    page.screenshot(path=str(shot), full_page=role == "manager")
                browser.close()
        finally:
            httpd.shutdown()
            app.extensions["billing.engine"].dispose()
    for shot in (OUT, QUEUE):
        print(f"{shot} ({shot.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
