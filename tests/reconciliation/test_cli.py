"""``billing reconcile import FILE``: counts per result; exit 0 when the file agrees (or was imported
before), 3 with mismatches, 1 for a refused file (every bad line printed, nothing written)."""

from pathlib import Path

from sqlalchemy import text

from tests.reconciliation.files import RUN_DAY, charges, stripe_file, stripe_row


def count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_import_prints_counts_and_exits_by_what_it_found(app, engine, june, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    agreeing = tmp_path / "stripe-juni.csv"
    agreeing.write_bytes(stripe_file(charges(june)))
    result = runner.invoke(args=["reconcile", "import", str(agreeing), "--gateway", "simulator"])
    assert result.exit_code == 0, result.output
    assert "stripe file of gateway simulator, 2024-06-05 .. 2024-06-05" in result.output
    assert "matched                 3" in result.output

    again = runner.invoke(args=["reconcile", "import", str(agreeing), "--gateway", "simulator"])
    assert again.exit_code == 0 and "already imported as #1" in again.output

    # A later file of the same report: one transaction again (not counted twice), one of a stranger.
    first = charges(june)[0]
    later = tmp_path / "stripe-juni-2.csv"
    later.write_bytes(stripe_file([first], extra=[stripe_row("pi_asing", None, 16_800, RUN_DAY)]))
    mismatched = runner.invoke(args=["reconcile", "import", str(later), "--format", "stripe", "--gateway", "simulator"])
    assert mismatched.exit_code == 3, mismatched.output
    assert "(1 already imported)" in mismatched.output
    assert "file_only               1" in mismatched.output
    assert "1 ketidakcocokan / mismatches: see /staff/reconciliation?import_id=2" in mismatched.output
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT action, channel FROM audit_record ORDER BY id")).all()
    assert audited == [("reconciliation.import", "cli"), ("reconciliation.import", "cli")]


def test_a_refused_file_names_its_lines_and_writes_nothing(app, engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,amount,date,status\nx,16.800,2024-06-05,settled\ny,16800,2024-06-31,settled\n")
    result = app.test_cli_runner().invoke(args=["reconcile", "import", str(bad)])
    assert result.exit_code == 1
    assert "baris/line 2: amount" in result.output and "baris/line 3: date" in result.output
    assert "Traceback" not in result.output
    assert count(engine, "reconciliation_import") == count(engine, "audit_record") == 0
