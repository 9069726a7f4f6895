"""``billing report churn|coverage|refresh`` on the Bangka Belitung scenario."""

from pathlib import Path

from tests.reports.browser import require_chromium

CHURN = ["report", "churn", "--region", "19.71", "--from", "2024-01", "--to", "2024-06", "--today", "2024-07-01"]


def test_text_json_and_csv(bangka_app) -> None:  # type: ignore[no-untyped-def]
    runner = bangka_app.test_cli_runner()
    text = runner.invoke(args=[*CHURN, "--format", "text"])
    assert text.exit_code == 0, text.output
    assert "Peserta aktif Kota Pangkal Pinang turun 10,97% (310 → 276) pada Januari–Juni 2024." in text.output
    assert "Active participants in Kota Pangkal Pinang fell 10.97% (310 → 276) in January–June 2024." in text.output
    assert "== waterfall ==" in text.output and "== recovery ==" in text.output
    as_json = runner.invoke(args=[*CHURN, "--format", "json"])
    assert '"closing": 276' in as_json.output
    as_csv = runner.invoke(args=[*CHURN, "--format", "csv", "--table", "ecosystems"])
    assert as_csv.output.splitlines()[1].startswith("desa,Desa,Village,68,")
    coverage = runner.invoke(args=["report", "coverage", "--region", "19.71", "--from", "2024-06", "--to", "2024-06"])
    assert "31,94% (276 peserta aktif dari 864 pekerja potensial)" in coverage.output


def test_html_and_pdf_files(bangka_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = bangka_app.test_cli_runner()
    page = tmp_path / "churn.html"
    result = runner.invoke(args=[*CHURN, "--format", "html", "--output", str(page)])
    assert result.exit_code == 0, result.output
    assert "<svg" in page.read_text(encoding="utf-8")
    require_chromium()
    pdf = tmp_path / "churn.pdf"
    result = runner.invoke(args=[*CHURN, "--format", "pdf", "--output", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_refresh_and_refusals(bangka_app) -> None:  # type: ignore[no-untyped-def]
    runner = bangka_app.test_cli_runner()
    built = runner.invoke(args=["report", "refresh", "--from", "2024-05", "--to", "2024-06", "--today", "2024-07-01"])
    assert built.output.split() == ["built", "2024-05", "built", "2024-06"]
    bad = runner.invoke(args=["report", "churn", "--region", "19.71", "--from", "2024-06", "--to", "2024-01"])
    assert bad.exit_code == 1 and "to: sebelum from / before from" in bad.output and "Traceback" not in bad.output
    unknown = runner.invoke(args=["report", "churn", "--region", "99.99", "--from", "2024-01", "--to", "2024-06"])
    assert unknown.exit_code == 1 and "Region 99.99 not found" in unknown.output
