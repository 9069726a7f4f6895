"""The queue (``failed_debit``) stays exactly what its sources say through the debit engine's days and
every other change of a month: after each step it equals the queue selected anew from scratch."""

from datetime import date
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import select

from billing.contributions import service as contributions
from billing.coverage import service as coverage
from billing.db import unit_of_work
from billing.failed_debits import sync
from billing.participants import changes
from billing.participants.models import Participant
from billing.participants.schemas import ProfileChangeBody
from billing.payments.models import ReceiptChannel
from billing.sponsors import invoices
from billing.sponsors.models import SponsorInvoice
from schedulers import jobs
from tests.debits.world import World, enrol, mark_paid_offline
from tests.failed_debits.builders import Attempt, Month, build

APRIL, JUNE = date(2024, 4, 1), date(2024, 6, 1)
METHODS = {
    "ok": "sim_ok",
    "broke": "sim_insufficient_funds",
    "payday": "sim_insufficient_until_payday_25",
    "closed": "sim_account_closed",
    "limit": "sim_limit_exceeded",
    "timeout": "sim_timeout_before_charge",
}


def queue(engine: Engine) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {sync.COLUMNS} FROM failed_debit")).all()
    return {r.contribution_id: dict(r._mapping) for r in rows}


def assert_exact(engine: Engine) -> dict[int, dict[str, Any]]:
    """The queue as kept equals the queue rebuilt from its sources (rebuilt in a transaction undone)."""
    kept = queue(engine)
    with engine.connect() as conn:
        trans = conn.begin()
        sync.rebuild(conn)
        found = conn.execute(text(f"SELECT {sync.COLUMNS} FROM failed_debit")).all()
        fresh = {r.contribution_id: dict(r._mapping) for r in found}
        trans.rollback()
    assert kept == fresh
    return kept


def june_of(engine: Engine, participant_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM contribution WHERE participant_id = :p AND period = :m"),
                {"p": participant_id, "m": JUNE},
            ).scalar_one()
        )


def test_the_queue_follows_the_engine_and_every_change_of_a_month(engine, settings) -> None:  # type: ignore[no-untyped-def]
    ids = {name: enrol(engine, APRIL, method) for name, method in METHODS.items()}
    world = World.create(engine, settings, APRIL)
    jobs.generate_contributions(world.ctx, APRIL)
    mark_paid_offline(engine, until=date(2024, 5, 1))
    assert assert_exact(engine) == {}

    world.day(date(2024, 6, 5))  # first attempts
    months = {name: june_of(engine, pid) for name, pid in ids.items()}
    rows = assert_exact(engine)
    assert set(rows) == {months[n] for n in ("broke", "payday", "closed", "limit")}
    closed = rows[months["closed"]]
    assert (closed["outcome"], closed["failure_code"]) == ("failed", "account_closed")
    # The bank's own answer is kept beside ours: SNAP's 403 + service 54 + case 18, "Inactive Account".
    assert closed["gateway_code"] == "4035418"

    world.day(date(2024, 6, 14))  # retries of the soft failures
    rows = assert_exact(engine)
    assert rows[months["broke"]]["attempt_no"] == 2 and rows[months["closed"]]["attempt_no"] == 1

    world.day(date(2024, 6, 25))  # payday: that retry succeeds and the month leaves the queue
    rows = assert_exact(engine)
    assert months["payday"] not in rows and months["broke"] in rows

    arrears = settings.arrears_months
    with unit_of_work(engine) as s:
        receipt = contributions.ReceiptIn("KW-1", ReceiptChannel.agent, 16_800, date(2024, 6, 26), "1")
        contributions.record_offline_payment(s, months["broke"], receipt, date(2024, 6, 26), arrears)
    assert months["broke"] not in assert_exact(engine)

    with unit_of_work(engine) as s:
        contributions.waive(s, months["closed"], "rekening ditutup, peserta pindah", date(2024, 6, 26), arrears)
    assert months["closed"] not in assert_exact(engine)

    # A new declared income prices the failed June again: the queue shows what it owes now.
    with unit_of_work(engine) as s:
        participant = s.get(Participant, ids["limit"])
        assert participant is not None
        body = ProfileChangeBody(declared_income=3_000_000, effective_from="2024-06")
        changes.change(s, participant, body, "user:1", date(2024, 6, 26))
    rows = assert_exact(engine)
    assert rows[months["limit"]]["amount"] > 16_800


def test_re_registration_takes_the_old_membership_out_of_the_queue(engine) -> None:  # type: ignore[no-untyped-def]
    cid = build(engine, Month("Ani", period=date(2026, 1, 1)))
    assert set(queue(engine)) == {cid}
    with unit_of_work(engine) as s:
        pid = s.connection().execute(text("SELECT participant_id FROM contribution WHERE id = :c"), {"c": cid}).scalar()
        s.connection().execute(text("UPDATE participant SET status = 'ended' WHERE id = :p"), {"p": pid})
        participant = s.get(Participant, pid)
        assert participant is not None
        coverage.reregister(s, participant, date(2026, 6, 3))
    assert assert_exact(engine) == {}


def test_a_sponsor_paying_an_older_month_moves_the_date_coverage_ends(engine) -> None:  # type: ignore[no-untyped-def]
    cid = build(engine, Month("Ani", period=date(2026, 2, 1), older_unpaid=[date(2026, 1, 1)]))
    assert str(queue(engine)[cid]["unpaid_from"]) == "2026-01-01"
    with unit_of_work(engine) as s:
        conn = s.connection()
        conn.execute(
            text(
                "INSERT INTO sponsor (id, name, kind, budget_type, region_code, status, created_at)"
                " VALUES (1, 'CSR Timah', 'company', 'csr', '19.71', 'active', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "UPDATE contribution SET payer = 'sponsor_csr', sponsor_id = 1"
                " WHERE period = '2026-01-01'"
                " AND participant_id = (SELECT participant_id FROM contribution WHERE id = :c)"
            ),
            {"c": cid},
        )
        invoices.create_for_period(s, date(2026, 1, 1))
        invoice = s.exec(select(SponsorInvoice)).one()
        invoices.receive(conn, invoice, 16_800, date(2026, 2, 20), "TRF-1")
    rows = assert_exact(engine)
    assert str(rows[cid]["unpaid_from"]) == "2026-02-01"


def test_retries_scheduled_again_show_in_the_queue(engine) -> None:  # type: ignore[no-untyped-def]
    """An unsent retry cancelled for an inactive mandate is tried again on the next run; retries stopped
    by a hard failure start again with a new mandate: the queue shows the new date either way."""
    from billing.debits.guards import CancelReason, cancel

    pending = build(engine, Month("Ani", attempts=[Attempt(), Attempt(status="pending", code=None)]))
    stopped = build(
        engine, Month("Budi", attempts=[Attempt(code="account_closed")], next_retry=None, stopped="account_closed")
    )
    with unit_of_work(engine) as s:
        conn = s.connection()
        attempt = conn.execute(
            text("SELECT id FROM debit_attempt WHERE contribution_id = :c AND attempt_no = 2"), {"c": pending}
        ).scalar_one()
        cancel(conn, [(attempt, CancelReason.mandate_inactive)], date(2026, 3, 20))
        budi = conn.execute(text("SELECT participant_id FROM contribution WHERE id = :c"), {"c": stopped}).scalar_one()
        conn.execute(text("UPDATE participant SET status = 'in_arrears' WHERE id = :p"), {"p": budi})
        assert coverage.reopen_stopped(s, budi, date(2026, 3, 21)) == 1
    rows = assert_exact(engine)
    assert (str(rows[pending]["next_retry_on"]), rows[pending]["stopped_reason"]) == ("2026-03-20", None)
    assert (str(rows[stopped]["next_retry_on"]), rows[stopped]["stopped_reason"]) == ("2026-03-21", None)


def test_a_history_import_takes_the_months_it_pays_out_of_the_queue(engine) -> None:  # type: ignore[no-untyped-def]
    cid = build(engine, Month("Ani", period=date(2026, 2, 1), older_unpaid=[date(2026, 1, 1)]))
    with unit_of_work(engine) as s:
        contributions.record_paid_through(s, date(2026, 1, 1), "RIWAYAT-1")  # January only
    assert str(assert_exact(engine)[cid]["unpaid_from"]) == "2026-02-01"
    with unit_of_work(engine) as s:
        contributions.record_paid_through(s, date(2026, 2, 1), "RIWAYAT-2")
    assert assert_exact(engine) == {}
