"""``billing sponsors invoice --period YYYY-MM``: the job's invoicing, for one month, from the shell."""

from datetime import date

from sqlalchemy import text

from tests.sponsors.world import generate_month, sponsor_with_members


def test_invoice_command_is_idempotent(app, engine) -> None:  # type: ignore[no-untyped-def]
    sponsor, _ = sponsor_with_members(engine, "apbd", 2, date(2026, 5, 1))
    generate_month(engine, date(2026, 5, 1))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sponsors", "invoice", "--period", "2026-05"])
    assert first.exit_code == 0, first.output
    assert "1 tagihan dibuat untuk 2026-05 / 1 invoices created for 2026-05" in first.output
    again = runner.invoke(args=["sponsors", "invoice", "--period", "2026-05"])
    assert "0 tagihan dibuat" in again.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sponsor_id, total FROM sponsor_invoice")).all() == [(sponsor, 33_600)]
    bad = runner.invoke(args=["sponsors", "invoice", "--period", "2026-5"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output
