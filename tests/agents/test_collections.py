"""An agent's cash collection (``billing.agents.collections``) on both backends: the oldest months first,
a system receipt number, the commission at the day's rate, a notice to the worker, a double tap recorded
once, another agent's worker refused, months at the bank refused, the books proved."""

import json
import threading
from datetime import date

import pytest
from sqlalchemy import Engine, text

from billing.agents import collections, commission
from billing.agents.collections import commission_of
from billing.db import unit_of_work
from billing.debits.service import start_debit_run
from billing.errors import Conflict, InvalidInput, NotFound
from billing.ledger.verify import verify
from billing.notices.texts import render
from billing.settings import Settings
from billing.timeutil import utcnow
from tests.agents.builders import DAY, agent, collect, rows, worker_of


def _proved(engine: Engine) -> None:
    with engine.connect() as conn:
        result = verify(conn)
    assert result.ok, result.problems


def test_commission_is_rounded_half_up_to_whole_rupiah() -> None:
    assert commission_of(16_800, 750) == 1_260
    assert commission_of(8_400, 750) == 630
    assert commission_of(8_410, 750) == 631  # 630.75
    assert commission_of(8_406, 750) == 630  # 630.45
    assert commission_of(16_800, 0) == 0


def test_cash_for_two_months_pays_the_oldest_first(engine: Engine, settings: Settings) -> None:
    budi = agent(engine, "budi")
    assert budi.id is not None
    pid = worker_of(engine, settings, budi.id)
    done = collect(engine, settings, budi, pid, 2)

    assert done.periods == ["2026-03", "2026-04"]  # the arrears, oldest first; May is not due yet
    assert done.amount == 16_800 + 8_400  # March at full price, April discounted (PP 50/2025)
    assert (done.commission_bp, done.commission) == (750, 1_890)
    assert rows(engine, "SELECT channel, number, amount, recorded_by FROM receipt") == [
        ("agent", f"PRS-{budi.id}-00001", 25_200, str(budi.id))
    ]
    paid = rows(engine, "SELECT period, status, paid_via, receipt_number FROM contribution ORDER BY period")
    assert [(str(p)[:7], s, v) for p, s, v, _ in paid] == [
        ("2026-03", "paid", "offline"),
        ("2026-04", "paid", "offline"),
        ("2026-05", "due", None),
        ("2026-06", "due", None),
    ]
    # The cash is the agent's; the commission is owed to them.
    accounts = rows(
        engine,
        "SELECT kind, debit_account, credit_account, SUM(amount) FROM ledger_transfer "
        "GROUP BY kind, debit_account, credit_account ORDER BY kind",
    )
    assert accounts == [
        ("commission", "commission_expense", "commission_payable", 1_890),
        ("receipt", "cash_agent", "contributions_receivable", 25_200),
    ]
    # The worker is told the receipt number.
    (kind, params), *more = rows(engine, "SELECT kind, params FROM notice WHERE participant_id = :p", p=pid)
    assert kind == "cash_received" and not more
    message = render(str(kind), json.loads(params) if isinstance(params, str) else params)  # type: ignore[arg-type]
    assert f"Kuitansi PRS-{budi.id}-00001" in message and "Rp25.200" in message and "Agen Budi" in message
    assert "Maret 2026 s.d. April 2026" in message
    assert rows(engine, "SELECT action, user_id FROM audit_record WHERE action LIKE 'agent.%'") == [
        ("agent.collected", budi.id)
    ]
    assert rows(engine, "SELECT status FROM participant") == [("active",)]  # covered through April
    _proved(engine)


def test_a_double_tap_records_the_cash_once(engine: Engine, settings: Settings) -> None:
    budi = agent(engine, "budi")
    assert budi.id is not None
    pid = worker_of(engine, settings, budi.id)
    first = collect(engine, settings, budi, pid, 1)
    again = collect(engine, settings, budi, pid, 1)
    assert again.id == first.id
    assert rows(engine, "SELECT COUNT(*), SUM(amount) FROM receipt") == [(1, 16_800)]
    assert rows(engine, "SELECT COUNT(*) FROM notice WHERE kind = 'cash_received'") == [(1,)]
    # A new form (a new nonce) is a new collection: the next month, the next receipt number.
    second = collect(engine, settings, budi, pid, 1, nonce="form-nonce-000000002")
    assert second.periods == ["2026-04"]
    assert rows(engine, "SELECT number FROM receipt ORDER BY id") == [
        (f"PRS-{budi.id}-00001",),
        (f"PRS-{budi.id}-00002",),
    ]
    _proved(engine)


def test_a_bad_nonce_is_refused(engine: Engine, settings: Settings) -> None:
    budi = agent(engine, "budi")
    assert budi.id is not None
    pid = worker_of(engine, settings, budi.id)
    with pytest.raises(InvalidInput) as refused:
        collect(engine, settings, budi, pid, 1, nonce="short")
    assert refused.value.code == "bad_nonce"


def test_another_agents_worker_and_collection_are_not_found(engine: Engine, settings: Settings) -> None:
    budi, sari = agent(engine, "budi"), agent(engine, "sari", "Agen Sari")
    assert budi.id is not None and sari.id is not None
    pid = worker_of(engine, settings, budi.id)
    with pytest.raises(NotFound) as refused:
        collect(engine, settings, sari, pid, 1)
    assert refused.value.code == "participant_not_found"
    done = collect(engine, settings, budi, pid, 1)
    assert done.id is not None
    with unit_of_work(engine) as s, pytest.raises(NotFound) as hidden:
        collections.of_agent(s, sari.id, done.id)
    assert hidden.value.code == "collection_not_found"
    with unit_of_work(engine) as s:
        assert collections.recent(s, sari.id) == []
        assert commission.statement(s, sari.id, DAY).lines == []
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(1,)]


def test_months_the_bank_holds_are_refused_and_unsent_debits_cancelled(engine: Engine, settings: Settings) -> None:
    budi = agent(engine, "budi")
    assert budi.id is not None
    pid = worker_of(engine, settings, budi.id, method="sim_ok")
    debit_day = date(2026, 5, 10)
    start_debit_run(engine, settings, debit_day)  # March, April and May planned, not sent yet
    planned = rows(engine, "SELECT COUNT(*) FROM debit_attempt WHERE status = 'pending'")[0][0]
    assert planned == 3
    with engine.begin() as conn:  # a worker handed the batch to the bank and has no answer yet
        conn.execute(text("UPDATE debit_batch SET sent_at = :now"), {"now": utcnow()})
    with pytest.raises(Conflict) as refused:
        collect(engine, settings, budi, pid, 1)
    assert refused.value.code == "debit_in_flight"
    assert rows(engine, "SELECT COUNT(*) FROM receipt") == [(0,)]

    with engine.begin() as conn:  # the batch was never sent after all
        conn.execute(text("UPDATE debit_batch SET sent_at = NULL"))
    collect(engine, settings, budi, pid, 2)
    assert rows(engine, "SELECT status, cancel_reason FROM debit_attempt ORDER BY contribution_id") == [
        ("cancelled", "contribution_settled"),
        ("cancelled", "contribution_settled"),
        ("pending", None),
    ]
    _proved(engine)


def test_the_rate_in_force_is_kept_and_the_statement_sums_the_month(engine: Engine, settings: Settings) -> None:
    budi = agent(engine, "budi")
    assert budi.id is not None
    pid = worker_of(engine, settings, budi.id)
    collect(engine, settings, budi, pid, 1)
    new_terms = settings.model_copy(update={"agent_commission_percent": 10})
    collect(engine, new_terms, budi, pid, 1, nonce="form-nonce-000000002")
    with unit_of_work(engine) as s:
        found = commission.statement(s, budi.id, date(2026, 5, 1))
        [(bp1, c1), (bp2, c2)] = [(line.collection.commission_bp, line.collection.commission) for line in found.lines]
        assert (bp1, c1, bp2, c2) == (750, 1_260, 1_000, 840)
        assert (found.collected, found.commission) == (25_200, 2_100)
        assert commission.statement(s, budi.id, date(2026, 4, 1)).lines == []
    assert rows(engine, "SELECT SUM(amount) FROM ledger_transfer WHERE kind = 'commission'") == [(2_100,)]
    _proved(engine)


def test_verify_finds_a_collection_without_its_commission(engine: Engine, settings: Settings) -> None:
    budi = agent(engine, "budi")
    assert budi.id is not None
    done = collect(engine, settings, budi, worker_of(engine, settings, budi.id), 1)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_transfer WHERE kind = 'commission'"))
    with engine.connect() as conn:
        problems = verify(conn).problems
    assert problems == {"agent collection whose receipt or commission posting is not its own": [str(done.id)]}


def test_two_taps_racing_record_the_cash_once(engine: Engine, settings: Settings) -> None:
    budi = agent(engine, "budi")
    assert budi.id is not None
    pid = worker_of(engine, settings, budi.id)
    start = threading.Barrier(2)
    made: list[int | None] = []

    def tap() -> None:
        start.wait()
        made.append(collect(engine, settings, budi, pid, 2).id)

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for t in taps:
        t.start()
    for t in taps:
        t.join()
    assert len(made) == 2 and made[0] == made[1]
    assert rows(engine, "SELECT COUNT(*), SUM(amount) FROM receipt") == [(1, 25_200)]
    assert rows(engine, "SELECT COUNT(*) FROM ledger_transfer WHERE kind = 'commission'") == [(1,)]
    _proved(engine)
