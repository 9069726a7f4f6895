"""A sponsor that stops: the months it paid stay paid, its members pay their unpaid months themselves
at the self-pay tariff, its open invoices lose those lines, and each member is told."""

import json
from datetime import date

from sqlalchemy import text

from billing.db import unit_of_work
from billing.notices.texts import render
from billing.participants.models import CoverageStatus
from billing.sponsors import service
from billing.sponsors.invoices import create_for_period, pay_by_transfer
from tests.sponsors.world import assert_books_balance, contributions_of, generate_month, sponsor_with_members

MAY, JUNE, JULY = date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)


def _pay_may(engine, sponsor: int, amount: int) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        create_for_period(s, MAY)
        pay_by_transfer(
            s, sponsor, MAY, receipt_number="TRF-MAY", amount=amount, received_on=MAY, recorded_by="t", today=MAY
        )


def test_stop_hands_unpaid_months_to_the_members_at_the_self_pay_price(engine) -> None:  # type: ignore[no-untyped-def]
    sponsor, pids = sponsor_with_members(engine, "apbd", 2, MAY)
    generate_month(engine, MAY)
    _pay_may(engine, sponsor, 2 * 16_800)
    generate_month(engine, JUNE)  # generated early, billed to the sponsor at Rp 16,800
    with unit_of_work(engine) as s:
        create_for_period(s, JUNE)
        service.stop(s, sponsor, date(2026, 6, 10), "APBD 2026 habis")

    rows = contributions_of(engine, pids)
    may = [(r[0], r[2], r[3], r[4], r[5]) for r in rows if str(r[1])[:7] == "2026-05"]
    june = [(r[0], r[2], r[3], r[4], r[5]) for r in rows if str(r[1])[:7] == "2026-06"]
    # May was paid by the sponsor: it stays so. June is the members' own, with PP 50/2025's discount
    # (Apr - Dec 2026 for their sector): JKK Rp 5,000 + JKM Rp 3,400.
    assert may == [(p, 16_800, "paid", "sponsor_apbd", sponsor) for p in pids]
    assert june == [(p, 8_400, "due", "self", None) for p in pids]
    with engine.connect() as conn:
        lines = conn.execute(
            text(
                "SELECT SUM(l.amount), SUM(l.discount_amount) FROM contribution_line l"
                " JOIN contribution c ON c.id = l.contribution_id WHERE c.period = :p"
            ),
            {"p": JUNE},
        ).one()
        invoices = conn.execute(text("SELECT period, member_count, total, status FROM sponsor_invoice ORDER BY period"))
        invoices = [(str(r[0])[:7], r[1], r[2], r[3]) for r in invoices]
        notices = conn.execute(text("SELECT participant_id, kind, params FROM notice ORDER BY participant_id")).all()
        statuses = conn.execute(text("SELECT DISTINCT status FROM participant")).scalars().all()
    assert tuple(lines) == (2 * 8_400, 2 * 8_400)
    assert invoices == [("2026-05", 2, 2 * 16_800, "paid"), ("2026-06", 0, 0, "void")]
    assert [(n[0], n[1]) for n in notices] == [(p, "sponsor_stopped") for p in pids]
    params = notices[0][2] if isinstance(notices[0][2], dict) else json.loads(notices[0][2])
    assert params == {"sponsor": "Sponsor apbd", "period": "2026-06-01", "amount": 8_400}
    assert render("sponsor_stopped", params).startswith(
        "Sponsor apbd berhenti membayar iuran BPJS Ketenagakerjaan Anda. Mulai Juni 2026 iuran Anda Rp8.400 per "
        "bulan dibayar sendiri."
    )
    # Nobody's membership ended with the stop: unpaid months lapse it only by the arrears rule.
    assert CoverageStatus.ended.value not in statuses
    assert_books_balance(engine)

    generate_month(engine, JULY)  # after the stop: self-paid from the start
    july = [(r[2], r[4], r[5]) for r in contributions_of(engine, pids) if str(r[1])[:7] == "2026-07"]
    assert july == [(8_400, "self", None)] * 2


def test_a_partly_paid_invoice_keeps_its_paid_months(engine) -> None:  # type: ignore[no-untyped-def]
    sponsor, pids = sponsor_with_members(engine, "csr", 3, MAY)
    generate_month(engine, MAY)
    _pay_may(engine, sponsor, 8_400 + 1_000)  # the first member's month, Rp 1,000 held
    with unit_of_work(engine) as s:
        service.stop(s, sponsor, date(2026, 5, 20), "CSR dihentikan")
    rows = contributions_of(engine, pids)
    assert [(r[2], r[3], r[4]) for r in rows] == [
        (8_400, "paid", "sponsor_csr"),
        (8_400, "due", "self"),
        (8_400, "due", "self"),
    ]
    with engine.connect() as conn:
        invoice = conn.execute(text("SELECT member_count, total, amount_paid, unapplied, status FROM sponsor_invoice"))
        assert tuple(invoice.one()) == (1, 8_400, 9_400, 1_000, "paid")
    assert_books_balance(engine)
