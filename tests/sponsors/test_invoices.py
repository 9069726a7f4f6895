"""Sponsor invoices: their totals by hand, the job that makes them, and bank transfers recorded by
finance, allocated to the members' months in participant order."""

import threading
from datetime import date

from sqlalchemy import text

from billing.db import unit_of_work
from billing.errors import BillingError
from billing.gateways.registry import load_gateway
from billing.sponsors import service
from billing.sponsors.invoices import create_for_period, pay_by_transfer
from schedulers import jobs
from tests.debits.world import enrol
from tests.factories import auth, token
from tests.sponsors.world import assert_books_balance, contributions_of, generate_month, sponsor_with_members

MAY = date(2026, 5, 1)  # inside PP 50/2025's window for non-transport sectors (Apr - Dec 2026)


def _invoices(engine) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT sponsor_id, member_count, total, amount_paid, status FROM sponsor_invoice ORDER BY id")
            )
        ]


def test_invoice_totals_apbd_without_and_csr_with_the_discount(engine, settings) -> None:  # type: ignore[no-untyped-def]
    apbd, _ = sponsor_with_members(engine, "apbd", 3, MAY)
    sawit, _ = sponsor_with_members(engine, "dbh_sawit", 1, MAY)
    csr, _ = sponsor_with_members(engine, "csr", 2, MAY)
    _, (with_jht,) = sponsor_with_members(engine, "csr", 1, MAY, programs=["JKK", "JKM", "JHT"])
    generate_month(engine, MAY)
    ctx = jobs.JobContext(settings, engine, load_gateway("simulator"))

    assert jobs.sponsor_invoices(ctx, date(2026, 5, 2)) == 4
    assert jobs.sponsor_invoices(ctx, date(2026, 5, 3)) == 0  # the job twice: still one invoice each

    # APBD and DBH Sawit: JKK Rp 10,000 + JKM Rp 6,800, no discount. CSR: both halved to Rp 8,400;
    # JHT (2% of Rp 1,000,000 = Rp 20,000) is never discounted: Rp 28,400.
    assert _invoices(engine) == [
        (apbd, 3, 3 * 16_800, 0, "open"),
        (sawit, 1, 16_800, 0, "open"),
        (csr, 2, 2 * 8_400, 0, "open"),
        (csr + 1, 1, 28_400, 0, "open"),
    ]
    assert [row[2] for row in contributions_of(engine, [with_jht])] == [28_400]
    assert_books_balance(engine)


def test_a_member_billed_later_joins_the_open_invoice(engine) -> None:  # type: ignore[no-untyped-def]
    sponsor, _ = sponsor_with_members(engine, "apbd", 1, MAY)
    generate_month(engine, MAY)
    with unit_of_work(engine) as s:
        assert create_for_period(s, MAY) == 1
    newcomer = enrol(engine, date(2026, 5, 8), None)
    with unit_of_work(engine) as s:
        service.add_members(s, sponsor, [newcomer], date(2026, 5, 1))
    generate_month(engine, MAY)
    with unit_of_work(engine) as s:
        assert create_for_period(s, MAY) == 0
    assert _invoices(engine) == [(sponsor, 2, 2 * 16_800, 0, "open")]


def _pay(client, tok, sponsor_id, amount, number, period="2026-05", on="2026-05-20"):  # type: ignore[no-untyped-def]
    body = {"receipt_number": number, "amount": amount, "received_on": on}
    return client.post(f"/api/v1/sponsors/{sponsor_id}/invoices/{period}/payments", json=body, headers=auth(tok))


def test_partial_transfers_pay_whole_months_in_participant_order(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    sponsor, pids = sponsor_with_members(engine, "apbd", 3, MAY)
    generate_month(engine, MAY)
    with unit_of_work(engine) as s:
        create_for_period(s, MAY)
    finance = token(app, "finance")

    # Rp 20,000 pays the first member's month (Rp 16,800); Rp 3,200 waits on the invoice.
    resp = _pay(client, finance, sponsor, 20_000, "TRF-001")
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert (got["amount_paid"], got["unapplied"], got["owed"], got["status"]) == (20_000, 3_200, 30_400, "open")
    assert [r[3] for r in contributions_of(engine, pids)] == ["paid", "due", "due"]
    assert_books_balance(engine)

    # Rp 14,000 + the Rp 3,200 held = Rp 17,200: the second month (Rp 16,800), Rp 400 left.
    got = _pay(client, finance, sponsor, 14_000, "TRF-002").get_json()
    assert (got["amount_paid"], got["unapplied"], got["owed"]) == (34_000, 400, 16_400)
    assert [r[3] for r in contributions_of(engine, pids)] == ["paid", "paid", "due"]
    assert_books_balance(engine)

    over = _pay(client, finance, sponsor, 16_401, "TRF-003")
    assert over.status_code == 422
    assert over.headers["Content-Type"].startswith("application/problem+json")
    assert over.get_json()["code"] == "amount_exceeds_invoice"
    taken = _pay(client, finance, sponsor, 100, "TRF-002")
    assert (taken.status_code, taken.get_json()["code"]) == (409, "receipt_number_taken")
    assert _pay(client, token(app, "manager"), sponsor, 100, "TRF-004").status_code == 403

    got = _pay(client, finance, sponsor, 16_400, "TRF-003").get_json()
    assert (got["amount_paid"], got["unapplied"], got["owed"], got["status"]) == (50_400, 0, 0, "paid")
    rows = contributions_of(engine, pids)
    assert [(r[3], r[6]) for r in rows] == [("paid", "sponsor")] * 3
    assert_books_balance(engine)
    with engine.connect() as conn:
        receipts = conn.execute(text("SELECT number, amount, sponsor_id FROM receipt ORDER BY id")).all()
        held = conn.execute(text("SELECT SUM(amount) FROM ledger_transfer WHERE kind = 'sponsor_applied'")).scalar_one()
    assert [tuple(r) for r in receipts] == [
        ("TRF-001", 20_000, sponsor),
        ("TRF-002", 14_000, sponsor),
        ("TRF-003", 16_400, sponsor),
    ]
    assert held == 50_400

    listed = client.get(f"/api/v1/sponsors/{sponsor}/invoices", headers=auth(finance)).get_json()
    assert listed["total"] == 1
    assert listed["items"][0]["period"] == "2026-05"
    assert (listed["items"][0]["status"], listed["items"][0]["owed"]) == ("paid", 0)
    one = client.get(f"/api/v1/sponsors/{sponsor}/invoices/2026-05?per_page=2", headers=auth(finance)).get_json()
    assert one["lines"]["total"] == 3
    assert [line["participant_id"] for line in one["lines"]["items"]] == pids[:2]
    assert one["lines"]["items"][0]["amount_due"] == 16_800


def test_invoice_errors_are_problems(app, client, engine) -> None:  # type: ignore[no-untyped-def]
    sponsor, _ = sponsor_with_members(engine, "apbd", 1, MAY)
    finance = token(app, "finance")
    missing = client.get(f"/api/v1/sponsors/{sponsor}/invoices/2026-05", headers=auth(finance))
    assert (missing.status_code, missing.get_json()["code"]) == (404, "invoice_not_found")
    bad = client.get(f"/api/v1/sponsors/{sponsor}/invoices/2026-13", headers=auth(finance))
    assert bad.status_code == 422
    generate_month(engine, MAY)
    with unit_of_work(engine) as s:
        create_for_period(s, MAY)
    future = _pay(client, finance, sponsor, 100, "TRF-X", on="2999-01-01")
    assert future.status_code == 422
    zero = _pay(client, finance, sponsor, 0, "TRF-Y")
    assert zero.status_code == 422


def test_two_transfers_at_once_never_pay_more_than_the_invoice(engine) -> None:  # type: ignore[no-untyped-def]
    # On SQLite the database's single writer serialises them; on PostgreSQL the invoice's row lock does.
    sponsor, pids = sponsor_with_members(engine, "apbd", 2, MAY)
    generate_month(engine, MAY)
    with unit_of_work(engine) as s:
        create_for_period(s, MAY)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def transfer(number: str) -> None:
        start.wait()
        try:
            with unit_of_work(engine) as s:
                pay_by_transfer(
                    s, sponsor, MAY, receipt_number=number, amount=20_000, received_on=MAY, recorded_by="t", today=MAY
                )
            outcomes.append("paid")
        except BillingError as exc:
            outcomes.append(str(exc.code))

    threads = [threading.Thread(target=transfer, args=(n,)) for n in ("TRF-A", "TRF-B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Rp 33,600 owed: the first Rp 20,000 pays one month and holds Rp 3,200; the second would be too much.
    assert sorted(outcomes) == ["amount_exceeds_invoice", "paid"]
    assert [r[3] for r in contributions_of(engine, pids)] == ["paid", "due"]
    assert_books_balance(engine)
