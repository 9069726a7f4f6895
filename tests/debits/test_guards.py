"""A person acts on a contribution after the 06:00 planning wrote its attempt: nothing is sent that
should not be. Counted at the simulated bank, not only in our tables; the books are then proved
against the bank's own records."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from billing.debits.execution import work
from billing.debits.policy import from_settings as retry_policy
from billing.debits.service import start_debit_run
from billing.ledger.verify import verify
from schedulers import jobs
from tests.debits.world import World, as_date, enrol, rows
from tests.factories import auth, token

DAY = date(2024, 6, 5)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("contributions", "mandates", "participants", "payments"):
        monkeypatch.setattr(f"billing.{module}.api.today", lambda: DAY)


@pytest.fixture
def staff(app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {role: auth(token(app, role)) for role in ("admin", "finance")}


def planned(engine, settings, method: str = "sim_ok") -> tuple[World, int, int, int]:  # type: ignore[no-untyped-def]
    """One participant debited on the 5th, June's attempt planned and not yet sent."""
    pid = enrol(engine, date(2024, 6, 1), method)
    world = World.create(engine, settings, DAY)
    jobs.generate_contributions(world.ctx, DAY)
    start_debit_run(engine, settings, DAY)
    [(cid, mid)] = rows(engine, "SELECT contribution_id, mandate_id FROM debit_attempt")
    return world, pid, cid, mid


def send(world: World) -> int:
    """What the ``billing worker`` processes do after planning."""
    lease = timedelta(seconds=world.settings.lease_seconds)
    return work(world.engine, world.gateway, retry_policy(world.settings), lease, clock=world.clock)


def attempts(engine) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    return rows(engine, "SELECT attempt_no, status, cancel_reason, payment_method FROM debit_attempt ORDER BY id")


def proved(world: World) -> None:
    with world.engine.connect() as conn:
        result = verify(conn, world.gateway)
    assert result.ok, result.problems


def _offline(client, staff, pid, cid) -> None:  # type: ignore[no-untyped-def]
    body = {"receipt_number": "AGEN-1", "channel": "agent", "amount": 16_800, "paid_on": "2024-06-05"}
    resp = client.post(f"/api/v1/contributions/{cid}/offline-payment", json=body, headers=staff["finance"])
    assert resp.status_code == 200, resp.get_json()


def _prepay(client, staff, pid, cid) -> None:  # type: ignore[no-untyped-def]
    body = {"months": 3, "receipt_number": "AGEN-2", "channel": "agent", "amount": 3 * 16_800}
    resp = client.post(f"/api/v1/participants/{pid}/prepayments", json=body, headers=staff["finance"])
    assert resp.status_code == 201, resp.get_json()


def _waive(client, staff, pid, cid) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(f"/api/v1/contributions/{cid}/waive", json={"reason": "bencana banjir"}, headers=staff["admin"])
    assert resp.status_code == 200, resp.get_json()


def _cancel(client, staff, pid, cid) -> None:  # type: ignore[no-untyped-def]
    resp = client.post(f"/api/v1/participants/{pid}/cancel", json={"reason": "pindah"}, headers=staff["finance"])
    assert resp.status_code == 200, resp.get_json()


ACTIONS: dict[str, tuple[Callable[..., None], str]] = {
    "an agent's cash receipt": (_offline, "contribution_settled"),
    "a prepayment of 3 months": (_prepay, "contribution_settled"),
    "a waiver": (_waive, "contribution_settled"),
    "the worker leaving": (_cancel, "participant_ended"),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_settled_before_it_was_sent_is_never_sent(client, engine, settings, staff, action: str) -> None:  # type: ignore[no-untyped-def]
    world, pid, cid, _ = planned(engine, settings)
    do, reason = ACTIONS[action]
    do(client, staff, pid, cid)
    assert attempts(engine) == [(1, "cancelled", reason, "sim_ok")]  # cancelled in the same transaction
    send(world)
    assert world.gateway.bank.debits("sim_ok") == 0  # type: ignore[attr-defined]
    assert attempts(engine) == [(1, "cancelled", reason, "sim_ok")]
    proved(world)


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_a_mandate_stopped_before_the_debit_is_not_charged(client, engine, settings, staff, app, action) -> None:  # type: ignore[no-untyped-def]
    world, pid, cid, mid = planned(engine, settings)
    worker = auth(token(app, "worker", pid))
    who = worker if action == "revoke" else staff["finance"]
    assert client.post(f"/api/v1/mandates/{mid}/{action}", json={}, headers=who).status_code == 200
    send(world)
    assert world.gateway.bank.debits("sim_ok") == 0  # type: ignore[attr-defined]
    assert attempts(engine) == [(1, "cancelled", "mandate_inactive", "sim_ok")]
    if action == "suspend":
        # Resumed: the month is tried again on the next run, with a new attempt and a new key.
        assert client.post(f"/api/v1/mandates/{mid}/resume", json={}, headers=staff["finance"]).status_code == 200
        world.day(DAY + timedelta(days=1))
        assert world.gateway.bank.debits("sim_ok") == 1  # type: ignore[attr-defined]
        assert rows(engine, "SELECT idempotency_key, status FROM debit_attempt ORDER BY id") == [
            (f"ct{cid}-1", "cancelled"),
            (f"ct{cid}-2", "succeeded"),
        ]
    proved(world)


def test_a_new_account_is_a_new_consent_and_gets_the_next_debit(client, engine, settings, staff, app) -> None:  # type: ignore[no-untyped-def]
    world, pid, _, mid = planned(engine, settings, "sim_insufficient_funds")
    worker = auth(token(app, "worker", pid))
    changed = client.patch(f"/api/v1/mandates/{mid}", json={"payment_method": "sim_ok"}, headers=worker)
    assert changed.status_code == 200
    assert changed.get_json()["status"] == "pending"  # not charged until the new binding is confirmed
    send(world)
    bank = world.gateway.bank  # type: ignore[attr-defined]
    assert bank.debits("sim_ok") == 0 and bank.charges() == []  # the old account was not charged either
    assert attempts(engine) == [(1, "cancelled", "payment_method_changed", "sim_insufficient_funds")]
    world.day(DAY + timedelta(days=1))
    assert bank.charges() == []  # still waiting for the confirmation
    assert client.post(f"/api/v1/mandates/{mid}/activate", json={}, headers=staff["finance"]).status_code == 200
    world.day(DAY + timedelta(days=2))
    assert bank.debits("sim_ok") == 1 and bank.debits("sim_insufficient_funds") == 0
    assert attempts(engine)[-1] == (2, "succeeded", None, "sim_ok")
    events = rows(
        engine, "SELECT from_status, to_status, reason FROM mandate_event WHERE mandate_id = :m ORDER BY id", m=mid
    )
    assert events[-2:] == [("active", "pending", "updated: payment_method"), ("pending", "active", None)]
    proved(world)


def test_a_receipt_while_the_debit_is_at_the_gateway_makes_the_debit_credit(client, engine, settings, staff) -> None:  # type: ignore[no-untyped-def]
    world, pid, cid, _ = planned(engine, settings, "sim_timeout_then_ok")
    send(world)  # charged at the bank; the answer was lost: unknown
    assert attempts(engine) == [(1, "unknown", None, "sim_timeout_then_ok")]
    _offline(client, staff, pid, cid)  # accepted: the cash is real, whatever the bank did
    world.day(DAY)  # the settlement asks the bank first: it had taken the money
    bank = world.gateway.bank  # type: ignore[attr-defined]
    assert bank.debits("sim_timeout_then_ok") == 1
    assert attempts(engine) == [(1, "succeeded", None, "sim_timeout_then_ok")]
    # Collected twice: the excess became credit, which paid July (generated early) instead of a debit.
    months = rows(engine, "SELECT period, amount_paid, status, paid_via FROM contribution ORDER BY period")
    assert [(as_date(p), *rest) for p, *rest in months] == [
        (date(2024, 6, 1), 16_800, "paid", "offline"),
        (date(2024, 7, 1), 16_800, "paid", "credit"),
    ]
    credit = client.get(f"/api/v1/participants/{pid}/credit", headers=staff["finance"]).get_json()
    assert credit["balance"] == 0
    assert sorted((t["kind"], t["amount"]) for t in credit["transfers"]) == [
        ("credit_applied", 16_800),
        ("debit", 16_800),
    ]
    proved(world)


def test_credit_with_nothing_due_is_refunded_through_the_gateway(client, engine, settings, staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    world, pid, cid, _ = planned(engine, settings, "sim_timeout_then_ok")
    monkeypatch.setattr("billing.payments.api.app_gateway", lambda name: world.gateway)  # the test's bank
    send(world)
    _prepay(client, staff, pid, cid)  # June to August paid at an agent meanwhile
    world.day(DAY)
    url = f"/api/v1/participants/{pid}/refunds"
    assert client.get(f"/api/v1/participants/{pid}/credit", headers=staff["finance"]).get_json()["balance"] == 16_800
    too_much = client.post(
        url, json={"amount": 16_801, "method": "gateway", "reason": "dobel"}, headers=staff["finance"]
    )
    assert (too_much.status_code, too_much.get_json()["code"]) == (409, "refund_exceeds_credit")
    done = client.post(url, json={"amount": 16_800, "method": "gateway", "reason": "dobel"}, headers=staff["finance"])
    assert done.status_code == 201, done.get_json()
    [refund] = done.get_json()["items"]
    assert (refund["status"], refund["amount"]) == ("succeeded", 16_800)
    bank = world.gateway.bank  # type: ignore[attr-defined]
    assert [(r.kind, r.amount) for r in bank.reversals()] == [("refund", 16_800)]
    assert (bank.total_debited(), bank.net_collected()) == (16_800, 0)  # the debit went back; the cash paid June
    assert client.get(f"/api/v1/participants/{pid}/credit", headers=staff["finance"]).get_json()["balance"] == 0
    again = client.post(url, json={"amount": 1, "method": "gateway", "reason": "dobel"}, headers=staff["finance"])
    assert (again.status_code, again.get_json()["code"]) == (409, "refund_exceeds_credit")
    proved(world)


def test_an_unknown_outcome_the_gateway_never_received_is_cancelled_not_replayed(
    client, engine, settings, staff
) -> None:  # type: ignore[no-untyped-def]
    world, pid, cid, _ = planned(engine, settings, "sim_timeout_before_charge")
    send(world)
    assert attempts(engine) == [(1, "unknown", None, "sim_timeout_before_charge")]
    _offline(client, staff, pid, cid)
    world.day(DAY)
    assert world.gateway.bank.debits("sim_timeout_before_charge") == 0  # type: ignore[attr-defined]
    assert attempts(engine) == [(1, "cancelled", "contribution_settled", "sim_timeout_before_charge")]
    assert rows(engine, "SELECT COUNT(*) FROM debit_unsettled") == [(0,)]
    proved(world)


def test_a_batch_planned_just_before_the_planner_finishes_is_still_worked(engine, settings) -> None:  # type: ignore[no-untyped-def]
    """The planner may commit its last batch and finish between a worker's empty claim and its question
    "is the planner still at work?": the worker must not leave that batch queued."""
    enrol(engine, date(2024, 6, 1), "sim_ok")
    world = World.create(engine, settings, DAY)
    jobs.generate_contributions(world.ctx, DAY)

    def planner_finishes_now() -> bool:
        if not rows(engine, "SELECT id FROM debit_batch"):
            start_debit_run(engine, settings, DAY)
        return False  # the planner is done

    lease = timedelta(seconds=settings.lease_seconds)
    work(engine, world.gateway, retry_policy(settings), lease, clock=world.clock, planning=planner_finishes_now)
    assert world.gateway.bank.debits("sim_ok") == 1  # type: ignore[attr-defined]
    assert rows(engine, "SELECT status FROM debit_batch") == [("done",)]
