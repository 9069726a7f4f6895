"""A worker's "pay now" (``billing.debits.pay_now``) where the bank is slow, says no, or another
payment got there first: counted at the simulated bank, the books proved against it."""

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, text

from billing.contributions.service import ReceiptIn, record_offline_payment
from billing.db import unit_of_work
from billing.debits import pay_now
from billing.debits.models import AttemptStatus
from billing.debits.service import settle_unknown, start_debit_run
from billing.errors import Conflict
from billing.ledger.verify import verify
from billing.payments.models import ReceiptChannel
from billing.settings import Settings
from billing.timeutil import utcnow
from schedulers import jobs
from tests.debits.world import World, enrol, rows

DAY = date(2026, 5, 4)  # May and June at Rp 8,400 (PP 50/2025)
NONCE = "n0nce-of-the-form-1"


def _world(engine: Engine, settings: Settings, method: str) -> tuple[World, int]:
    pid = enrol(engine, DAY, method, debit_day=10)
    world = World.create(engine, settings, DAY)
    jobs.generate_contributions(world.ctx, DAY)
    return world, pid


def _pay(world: World, pid: int, months: int | None = 2, nonce: str = NONCE) -> tuple[int, AttemptStatus]:
    with unit_of_work(world.engine) as s:
        attempt = pay_now.prepare(s, pay_now.PayAsk(pid, months, nonce, "10.0.0.9"), DAY)
        assert attempt.id is not None
        aid = attempt.id
    return aid, pay_now.send(world.engine, world.gateway, aid, world.settings, DAY)


def _proved(world: World) -> None:
    with world.engine.connect() as conn:
        result = verify(conn, world.gateway)
    assert result.ok, result.problems


def _paid(engine: Engine) -> list[tuple[str, str]]:
    found = rows(engine, "SELECT period, paid_via FROM contribution WHERE status = 'paid' ORDER BY period")
    return [(str(period)[:7], via) for period, via in found]


def test_two_months_in_one_charge(engine: Engine, settings: Settings) -> None:
    world, pid = _world(engine, settings, "sim_ok")
    aid, status = _pay(world, pid)
    assert status is AttemptStatus.succeeded
    assert world.gateway.bank.debits("sim_ok") == 1 and world.gateway.bank.total_debited() == 16_800
    # Its month paid by the charge is credit first, then May and June are paid from it, oldest first.
    assert _paid(engine) == [("2026-05", "credit"), ("2026-06", "credit")]
    assert rows(engine, "SELECT trigger, amount FROM debit_attempt") == [("manual", 16_800)]
    assert rows(engine, "SELECT kind FROM job_run WHERE id = (SELECT run_id FROM debit_attempt)") == [("payment",)]
    # The form again: the same payment, nothing sent again.
    assert _pay(world, pid) == (aid, AttemptStatus.succeeded)
    assert world.gateway.bank.debits("sim_ok") == 1
    # The day's debit run plans nothing for the paid months.
    start_debit_run(engine, settings, DAY + timedelta(days=6))
    assert rows(engine, "SELECT COUNT(*) FROM debit_attempt") == [(1,)]
    _proved(world)


def test_a_slow_bank_is_settled_by_asking_it(engine: Engine, settings: Settings) -> None:
    world, pid = _world(engine, settings, "sim_timeout_then_ok")
    _, status = _pay(world, pid, months=1)
    assert status is AttemptStatus.unknown and _paid(engine) == []
    assert world.gateway.bank.debits("sim_timeout_then_ok") == 1  # the money moved; the answer did not come
    settle_unknown(engine, settings, world.gateway, DAY, now=utcnow() + timedelta(hours=1))
    assert _paid(engine) == [("2026-05", "debit")]
    assert world.gateway.bank.debits("sim_timeout_then_ok") == 1
    _proved(world)


def test_a_refusal_pays_nothing_and_leaves_the_month_to_the_retries(engine: Engine, settings: Settings) -> None:
    world, pid = _world(engine, settings, "sim_insufficient_funds")
    _, status = _pay(world, pid, months=1)
    assert status is AttemptStatus.failed and _paid(engine) == []
    assert rows(engine, "SELECT stopped_reason IS NULL, next_debit_on IS NOT NULL FROM debit_schedule") == [(1, 1)]
    assert rows(engine, "SELECT COUNT(*) FROM ledger_transfer") == [(0,)]
    _proved(world)


def test_a_month_paid_meanwhile_is_not_charged(engine: Engine, settings: Settings) -> None:
    world, pid = _world(engine, settings, "sim_ok")
    with unit_of_work(engine) as s:
        aid = pay_now.prepare(s, pay_now.PayAsk(pid, 1, NONCE, None), DAY).id
    cid = rows(engine, "SELECT contribution_id FROM debit_attempt")[0][0]
    with unit_of_work(engine) as s:
        receipt = ReceiptIn("AGEN-9", ReceiptChannel.agent, 8_400, DAY, "finance")
        record_offline_payment(s, cid, receipt, DAY, settings.arrears_months)
    assert aid is not None
    assert pay_now.send(engine, world.gateway, aid, settings, DAY) is AttemptStatus.cancelled
    assert world.gateway.bank.debits("sim_ok") == 0
    assert rows(engine, "SELECT cancel_reason FROM debit_attempt") == [("contribution_settled",)]
    _proved(world)


def test_months_the_bank_holds_are_refused(engine: Engine, settings: Settings) -> None:
    _, pid = _world(engine, settings, "sim_ok")
    debit_day = date(2026, 5, 10)
    start_debit_run(engine, settings, debit_day)
    engine_rows = rows(engine, "SELECT id FROM debit_batch")
    with engine.begin() as conn:  # a worker handed the batch to the bank and has no answer yet
        conn.execute(
            text("UPDATE debit_batch SET sent_at = :now WHERE id = :b"), {"now": utcnow(), "b": engine_rows[0][0]}
        )
    with pytest.raises(Conflict) as refused, unit_of_work(engine) as s:
        pay_now.prepare(s, pay_now.PayAsk(pid, 1, NONCE, None), debit_day)
    assert refused.value.code == "debit_in_flight"


def test_no_active_mandate_no_payment(engine: Engine, settings: Settings) -> None:
    _, pid = _world(engine, settings, None)  # type: ignore[arg-type]
    with pytest.raises(Conflict) as refused, unit_of_work(engine) as s:
        pay_now.prepare(s, pay_now.PayAsk(pid, 1, NONCE, None), DAY)
    assert refused.value.code == "no_active_mandate"
    with pytest.raises(Conflict) as nothing, unit_of_work(engine) as s:
        pay_now.prepare(s, pay_now.PayAsk(pid, None, NONCE, None), DAY)
    assert nothing.value.code == "nothing_to_pay"
