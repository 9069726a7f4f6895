"""Importing settlement files after a debit run on the simulated bank, on SQLite and PostgreSQL: a file
made from the bank's own records matches everything; an extra line, a missing receipt and another
amount give exactly those items; the same or an overlapping file counts nothing twice; a bad file
writes nothing."""

from datetime import date

import pytest
from sqlalchemy import text

from billing.db import unit_of_work
from billing.errors import InvalidInput
from billing.gateways.registry import load_gateway
from billing.reconciliation.models import SettlementFormat
from billing.reconciliation.service import Imported, import_file
from billing.sponsors.invoices import create_for_period
from schedulers import jobs
from tests.debits.world import World, rows
from tests.reconciliation.files import (
    BANK_HEADER,
    RUN_DAY,
    STRIPE_HEADER,
    bank_file,
    charges,
    csv_bytes,
    stripe_file,
    stripe_row,
)
from tests.sponsors.world import generate_month, sponsor_mandate, sponsor_with_members

TABLES = ("reconciliation_import", "reconciliation_line", "reconciliation_item")


def run_import(world: World, data: bytes, **options: object) -> Imported:
    with unit_of_work(world.engine) as s:
        done = import_file(
            s, data, filename="settlement.csv", tz="Asia/Jakarta", default_gateway="simulator", **options
        )
        s.expunge(done.record)
    return done


def counts(world: World) -> dict[str, int]:
    return {t: rows(world.engine, f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES}


def items(world: World) -> list[tuple[object, ...]]:
    return rows(
        world.engine,
        "SELECT kind, reference, file_amount, books_amount, note, resolved_at IS NOT NULL FROM reconciliation_item "
        "ORDER BY kind, reference",
    )


@pytest.mark.parametrize("fmt", ["bank", "stripe"])
def test_a_file_from_the_banks_own_records_matches_everything(june, fmt: str) -> None:  # type: ignore[no-untyped-def]
    made = bank_file(charges(june)) if fmt == "bank" else stripe_file(charges(june))
    done = run_import(june, made, gateway="simulator")
    r = done.record
    assert (r.format, r.gateway, r.first_day, r.last_day) == (fmt, "simulator", RUN_DAY, RUN_DAY)
    assert (r.lines, r.new_lines, r.repeated, r.matched) == (3, 3, 0, 3)
    assert (r.file_only, r.amount_differs, r.books_only, r.other, r.closed) == (0, 0, 0, 0, 0)
    assert done.mismatches == 0 and not done.duplicate
    assert items(june) == []
    # Every line names the receipt it matched: the three succeeded attempts.
    matched = rows(june.engine, "SELECT l.book_id FROM reconciliation_line l WHERE l.result = 'matched'")
    succeeded = rows(june.engine, "SELECT id FROM debit_attempt WHERE status = 'succeeded'")
    assert sorted(matched) == sorted(succeeded)


@pytest.mark.parametrize("fmt", ["bank", "stripe"])
def test_extra_line_missing_receipt_and_other_amount_are_exactly_the_items(june, fmt: str) -> None:  # type: ignore[no-untyped-def]
    first, second, third = charges(june)
    unknown = "sim_ch_not-ours"
    if fmt == "bank":
        header = BANK_HEADER
        lines = [
            [first.reference, first.amount - 800, "2024-06-05", "settled"],  # another amount
            [third.reference, third.amount, "05/06/2024", "berhasil"],  # matched, day first
            [unknown, 16_800, "2024-06-05", "settled"],  # not in our books
            [second.reference, second.amount, "2024-06-05", "gagal"],  # failed at the bank: no money
        ]
    else:
        header = STRIPE_HEADER
        lines = [
            stripe_row(first.reference, first.idempotency_key, first.amount - 800, RUN_DAY),
            stripe_row(third.reference, None, third.amount, RUN_DAY),  # found by the PaymentIntent id alone
            stripe_row(unknown, None, 16_800, RUN_DAY),
            stripe_row(third.reference, None, -third.amount, RUN_DAY, category="refund"),  # not a charge
        ]
    done = run_import(june, csv_bytes(header, lines), gateway="simulator")
    r = done.record
    assert (r.matched, r.amount_differs, r.file_only, r.books_only, r.other) == (1, 1, 1, 1, 1)
    assert done.mismatches == 3
    assert items(june) == [
        ("amount_differs", first.reference, first.amount - 800, first.amount, None, False),
        ("books_only", second.reference, None, second.amount, None, False),
        ("file_only", unknown, 16_800, None, None, False),
    ]
    # The items name the worker whose receipt they are about.
    named = rows(june.engine, "SELECT kind, participant_id IS NOT NULL FROM reconciliation_item ORDER BY kind")
    assert named == [("amount_differs", True), ("books_only", True), ("file_only", False)]


def test_the_same_file_twice_changes_nothing(june) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = charges(june)
    data = bank_file([first, second])  # the third charge is missing: one item
    once = run_import(june, data)
    before = counts(june)
    assert before == {"reconciliation_import": 1, "reconciliation_line": 2, "reconciliation_item": 1}
    again = run_import(june, data)
    assert again.duplicate and again.mismatches == 0
    assert again.record.id == once.record.id
    assert counts(june) == before


def test_an_overlapping_file_counts_nothing_twice_and_closes_what_it_brings(june) -> None:  # type: ignore[no-untyped-def]
    first, second, third = charges(june)
    run_import(june, bank_file([first, second]))
    assert [i[0] for i in items(june)] == ["books_only"]  # the third, settled later
    later = run_import(june, bank_file([second, third]))
    r = later.record
    assert (r.lines, r.new_lines, r.repeated, r.matched, r.closed, r.books_only) == (2, 1, 1, 1, 1, 0)
    assert counts(june)["reconciliation_line"] == 3
    assert items(june) == [("books_only", third.reference, None, third.amount, None, True)]
    resolution = rows(june.engine, "SELECT resolution, resolved_by FROM reconciliation_item")
    assert resolution == [(f"Ada di impor #{r.id} / Found in import #{r.id}", None)]


def test_a_charge_settled_twice_is_money_in_the_file_only(june) -> None:  # type: ignore[no-untyped-def]
    first, second, third = charges(june)
    twice = [first.reference, first.amount, "2024-06-05", "settled"]
    done = run_import(june, bank_file([first, second, third], extra=[twice]))
    assert (done.record.matched, done.record.file_only) == (3, 1)
    assert items(june) == [("file_only", first.reference, first.amount, first.amount, "duplicate", False)]


def test_a_charge_our_books_hold_as_failed_is_no_receipt(june) -> None:  # type: ignore[no-untyped-def]
    failed = rows(june.engine, "SELECT idempotency_key, amount FROM debit_attempt WHERE status = 'failed' LIMIT 1")
    key, amount = failed[0]
    done = run_import(june, bank_file(charges(june), extra=[[key, amount, "2024-06-05", "settled"]]))
    assert done.record.file_only == 1
    assert items(june) == [("file_only", key, amount, None, "no_receipt", False)]


BAD_FILES = {
    "wrong header": (b"ref,jumlah,tanggal\nx,1,2024-06-05\n", "settlement_header_invalid", "header"),
    "bad amount": (
        b"reference,amount,date,status\nx,16.800,2024-06-05,settled\n",
        "settlement_lines_invalid",
        "amount",
    ),
    "cents": (b"reference,amount,date,status\nx,16800.50,2024-06-05,settled\n", "settlement_lines_invalid", "amount"),
    "bad date": (b"reference,amount,date,status\nx,16800,2024-13-05,settled\n", "settlement_lines_invalid", "date"),
    "old date": (b"reference,amount,date,status\nx,16800,1999-01-05,settled\n", "settlement_lines_invalid", "date"),
    "bad status": (b"reference,amount,date,status\nx,16800,2024-06-05,maybe\n", "settlement_lines_invalid", "status"),
    "not text": (b"reference,amount\xff\xfe,date,status\n", "settlement_not_text", None),
    "no lines": (b"reference,amount,date,status\n\n", "settlement_empty", None),
    "usd": (
        b"balance_transaction_id,created_utc,currency,gross,reporting_category\n"
        b"txn_1,2024-06-05 01:00:00,usd,1.00,charge\n",
        "settlement_lines_invalid",
        "currency",
    ),
}


# Good lines before the bad one: nothing of the file is kept.
GOOD = b"sim_ch_a,16800,2024-06-05,settled\nsim_ch_b,16800,2024-06-05,settled\n"


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_and_writes_nothing(engine, case: str) -> None:  # type: ignore[no-untyped-def]
    data, code, field = BAD_FILES[case]
    header, _, line = data.partition(b"\n")
    data = data if field in (None, "header", "currency") else header + b"\n" + GOOD + line
    with pytest.raises(InvalidInput) as caught, unit_of_work(engine) as s:
        import_file(s, data, filename="x.csv", tz="Asia/Jakarta", default_gateway="simulator")
    assert caught.value.code == code
    assert " / " in caught.value.detail
    if field not in (None, "header", "currency"):
        assert [(e["line"], e["field"]) for e in caught.value.errors or []] == [(4, field)]
    with engine.connect() as conn:
        assert [conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES] == [0, 0, 0]


def test_a_format_asked_for_must_match_the_header(june) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        run_import(june, bank_file(charges(june)), fmt=SettlementFormat.stripe)
    assert caught.value.code == "settlement_header_invalid"
    assert "balance_transaction_id" in caught.value.detail


def test_an_unknown_gateway_is_refused(june) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        run_import(june, bank_file(charges(june)), gateway="nobank")
    assert caught.value.code == "unknown_gateway"
    assert counts(june) == dict.fromkeys(TABLES, 0)


def test_semicolons_as_a_spreadsheet_saves_them(june) -> None:  # type: ignore[no-untyped-def]
    data = csv_bytes(BANK_HEADER, [[c.reference, c.amount, f"{c.day:%d/%m/%Y}", "Sukses"] for c in charges(june)], ";")
    assert run_import(june, data).record.matched == 3


def test_stripe_is_the_default_gateway_of_a_stripe_file(june) -> None:  # type: ignore[no-untyped-def]
    done = run_import(june, stripe_file(charges(june)))
    # Our books hold no Stripe charges: every line is money we have no receipt for.
    assert (done.record.gateway, done.record.file_only, done.record.books_only) == ("stripe", 3, 0)


def test_a_sponsor_invoice_charge_is_a_receipt_too(engine, settings) -> None:  # type: ignore[no-untyped-def]
    may, day = date(2026, 5, 1), date(2026, 5, 5)
    sponsor, _ = sponsor_with_members(engine, "apbd", 3, may)
    sponsor_mandate(engine, sponsor, "sim_ok", may, debit_day=5)
    generate_month(engine, may)
    with unit_of_work(engine) as s:
        create_for_period(s, may)
    gateway = load_gateway("simulator")
    assert jobs.sponsor_charges_run(jobs.JobContext(settings, engine, gateway), day) == {"succeeded": 1}
    (charge,) = gateway.charges()

    def run(data: bytes) -> Imported:
        with unit_of_work(engine) as s:
            return import_file(s, data, filename="x.csv", tz="Asia/Jakarta", default_gateway="simulator")

    stranger = run(csv_bytes(BANK_HEADER, [["sim_ch_asing", 16_800, f"{day}", "settled"]]))
    assert (stranger.record.file_only, stranger.record.books_only) == (1, 1)
    found = run(csv_bytes(BANK_HEADER, [[charge.reference, 50_400, f"{day}", "settled"]]))
    assert (found.record.matched, found.record.closed) == (1, 1)
    with engine.connect() as conn:
        line = conn.execute(text("SELECT source, books_amount FROM reconciliation_line WHERE result = 'matched'"))
        assert line.one() == ("invoice", 50_400)
        closed = conn.execute(
            text("SELECT subject, resolved_at IS NOT NULL FROM reconciliation_item WHERE kind = 'books_only'")
        )
        assert [tuple(r) for r in closed] == [("invoice:1", True)]
