"""The gateway's word wins, but only its word: events that disagree with what we sent are refused;
late successes, refunds made at the gateway and disputes change the books once; a processing debit
is read until it ends, never sent again. Each test ends with ``ledger verify`` against the gateway's
own records (the Stripe face's intents, refunds and disputes)."""

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from billing.debits.service import settle_unknown
from billing.gateways.simulator.stripe_face import FaceServer, build
from billing.gateways.simulator.stripe_face import objects as stripe_objects
from billing.gateways.stripe import signature
from billing.ledger.verify import verify
from billing.timeutil import utcnow
from tests.debits.world import rows
from tests.factories import auth, token

from .conftest import DAY, SECRET, WEBHOOK_PATH, stripe_world


@pytest.fixture
def face(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaceServer]:
    with FaceServer(build(webhook_secret=SECRET)) as server:
        # The app reads charges back from the gateway (to match events) at the face.
        monkeypatch.setenv("BILLING_STRIPE_BASE_URL", server.url)
        yield server


def deliver(client, event: dict) -> dict:  # type: ignore[no-untyped-def,type-arg]
    payload = json.dumps(event).encode()
    headers = {signature.HEADER: signature.header(payload, [SECRET]), "Content-Type": "application/json"}
    resp = client.post(WEBHOOK_PATH, data=payload, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def proved(engine, world) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        result = verify(conn, world.gateway)
    assert result.ok, result.problems


def month(engine) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    return rows(engine, "SELECT status, amount_paid FROM contribution WHERE period = '2026-01-01'")[0]


def test_an_event_for_a_payment_intent_we_never_created_is_refused(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    world = stripe_world(engine, settings, face.url, ["sim_insufficient_funds"])
    [(key,)] = rows(engine, "SELECT idempotency_key FROM debit_attempt")
    intent = stripe_objects.intent(
        "pi_forged", {"amount": "100", "currency": "idr", "payment_method": "pm_x", "metadata": {}}, "succeeded", 0
    )
    now = int(time.time())
    forged = stripe_objects.event(
        "payment_intent.succeeded", {**intent, "metadata": {"idempotency_key": key}}, now, key
    )
    got = deliver(client, forged)
    assert (got["status"], got["changed"]) == ("refused", False)
    assert "pi_forged" in got["problem"]
    assert month(engine) == ("due", 0)
    assert rows(engine, "SELECT COUNT(*) FROM ledger_transfer") == [(0,)]
    # The same with the right amount but no charge at the gateway behind it is refused too.
    real_amount = {**intent, "id": "pi_forged2", "amount": 1_680_000, "metadata": {"idempotency_key": key}}
    assert (
        deliver(client, stripe_objects.event("payment_intent.succeeded", real_amount, now, key))["status"] == "refused"
    )
    finance = auth(token(client.application, "finance"))
    refused = client.get("/api/v1/gateway-events?status=refused", headers=finance).get_json()
    assert refused["total"] == 2  # kept, and visible to finance
    proved(engine, world)


def test_a_success_after_we_gave_up_pays_the_month(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    world = stripe_world(engine, settings, face.url, ["sim_insufficient_funds"])
    assert rows(engine, "SELECT status, failure_code FROM debit_attempt") == [("failed", "insufficient_funds")]
    [pi_id] = list(face.face.intents)
    got = deliver(client, face.face.complete(pi_id))  # the payer topped up and it went through after all
    assert (got["status"], got["changed"]) == ("applied", True)
    assert rows(engine, "SELECT status FROM debit_attempt") == [("succeeded",)]
    assert month(engine) == ("paid", 16_800)
    # The retry planned for the 14th is not made: the month is paid.
    world.day(DAY.replace(day=14))
    assert rows(engine, "SELECT COUNT(*) FROM debit_attempt") == [(1,)]
    proved(engine, world)


def test_a_refund_made_at_the_gateway_makes_the_month_due_again(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    world = stripe_world(engine, settings, face.url, ["sim_ok"])
    [pi_id] = list(face.face.intents)
    assert month(engine) == ("paid", 16_800)
    refund_events = face.face.refund_outside(pi_id, 16_800)
    outcomes = [deliver(client, e) for e in refund_events]
    # The first of them (refund.created) books what the gateway now records; the second finds nothing new.
    assert [(o["status"], o["changed"]) for o in outcomes] == [("applied", True), ("applied", False)]
    assert month(engine) == ("due", 0)
    assert deliver(client, refund_events[1])["duplicate"] is True
    assert rows(engine, "SELECT kind, amount FROM ledger_transfer WHERE kind = 'reversal'") == [("reversal", 16_800)]
    # Delivered in the other order, and again, it ends the same.
    assert [deliver(client, e)["changed"] for e in reversed(refund_events)] == [False, False]
    proved(engine, world)


def test_a_dispute_takes_the_money_back_and_winning_it_returns_it(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    world = stripe_world(engine, settings, face.url, ["sim_ok"])
    [pi_id] = list(face.face.intents)
    opened = face.face.dispute(pi_id)
    assert deliver(client, opened)["changed"] is True
    assert month(engine) == ("due", 0)
    assert rows(engine, "SELECT status, status_reason FROM mandate") == [("suspended", "disputed")]
    proved(engine, world)
    won = face.face.close_dispute(opened["data"]["object"]["id"], won=True)
    assert deliver(client, won)["changed"] is True
    assert month(engine) == ("paid", 16_800)  # the money came back as credit, and paid the month again
    assert deliver(client, won)["duplicate"] is True
    proved(engine, world)


def test_a_processing_debit_is_read_by_its_id_never_posted_again(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    world = stripe_world(engine, settings, face.url, ["sim_processing_ok"])
    [(key, status)] = rows(engine, "SELECT idempotency_key, status FROM debit_attempt")
    assert status == "unknown" and face.face.posts[key] == 1
    for hours in range(1, 7):  # six settlement passes, hours apart
        settle_unknown(engine, settings, world.gateway, DAY, now=utcnow() + timedelta(hours=hours * 7))
    assert face.face.posts[key] == 1  # read each time, never re-POSTed
    assert month(engine) == ("due", 0)
    [pi_id] = list(face.face.intents)
    deliver(client, face.face.finish(pi_id))
    assert month(engine) == ("paid", 16_800)
    proved(engine, world)


def test_an_event_naming_an_attempt_not_known_yet_is_kept(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    stripe_world(engine, settings, face.url, ["sim_ok"])
    intent = stripe_objects.intent(
        "pi_later", {"amount": "1680000", "currency": "idr", "payment_method": "pm_x", "metadata": {}}, "succeeded", 0
    )
    event = stripe_objects.event(
        "payment_intent.succeeded", {**intent, "metadata": {"idempotency_key": "ct99-1"}}, int(time.time()), None
    )
    got = deliver(client, event)
    assert (got["status"], got["changed"]) == ("pending", False)  # acknowledged, kept, tried again later
    finance = auth(token(client.application, "finance"))
    assert client.get("/api/v1/gateway-events?status=pending", headers=finance).get_json()["total"] == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"created": 10**12}, "created"),
        ({"created": -(10**12)}, "created"),
        ({"id": "evt_" + "x" * 300}, "too long"),
        ({"data": {"object": "not an object"}}, "malformed"),
        ({"type": None}, "malformed"),
    ],
)
def test_a_signed_body_we_cannot_read_says_so(client, engine, change, reason) -> None:  # type: ignore[no-untyped-def]
    event = {"id": "evt_1", "type": "payment_intent.succeeded", "created": 1_767_225_600, "data": {"object": {}}}
    payload = json.dumps({**event, **change}).encode()
    headers = {signature.HEADER: signature.header(payload, [SECRET]), "Content-Type": "application/json"}
    resp = client.post(WEBHOOK_PATH, data=payload, headers=headers)
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "malformed_webhook", resp.get_json()
    assert rows(engine, "SELECT COUNT(*) FROM gateway_event") == [(0,)]


def _waive(client, engine) -> dict:  # type: ignore[no-untyped-def,type-arg]
    [(cid,)] = rows(engine, "SELECT id FROM contribution WHERE period = '2026-01-01'")
    admin = auth(token(client.application, "admin"))
    resp = client.post(f"/api/v1/contributions/{cid}/waive", json={"reason": "bencana banjir"}, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _written_off(engine) -> int:  # type: ignore[no-untyped-def]
    return rows(
        engine,
        "SELECT COALESCE(SUM(CASE WHEN debit_account = 'write_off' THEN amount ELSE -amount END), 0)"
        " FROM ledger_transfer WHERE 'write_off' IN (debit_account, credit_account)",
    )[0][0]


def _held_at_bank(face, pi_id: str) -> int:  # type: ignore[no-untyped-def]
    return face.face.bank.held(face.face._bank_key[pi_id])


@pytest.fixture
def waivable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff act on the debit day (the January month is the membership's, and not in the future)."""
    monkeypatch.setattr("billing.contributions.api.today", lambda: DAY)


def test_money_taken_back_from_a_waived_month_makes_it_due_in_full(client, engine, settings, face, waivable) -> None:  # type: ignore[no-untyped-def]
    """The money machine's sequence: a part refunded at the gateway, the rest of the month waived,
    then the rest of the charge refunded at the gateway (its events late, twice, out of order)."""
    world = stripe_world(engine, settings, face.url, ["sim_ok"])
    [pi_id] = list(face.face.intents)
    for event in face.face.refund_outside(pi_id, 100):
        deliver(client, event)
    assert month(engine) == ("due", 16_700)
    assert _waive(client, engine)["status"] == "waived"
    assert (month(engine), _written_off(engine)) == (("waived", 16_700), 100)
    proved(engine, world)
    rest = face.face.refund_outside(pi_id, 16_700)
    assert _held_at_bank(face, pi_id) == 0  # the bank gave every rupiah back
    for event in [*reversed(rest), *rest]:
        deliver(client, event)
    # None of the charge's money is left in the month, so the waiver of the rest is undone with it.
    assert (month(engine), _written_off(engine)) == (("due", 0), 0)
    assert rows(engine, "SELECT waive_reason FROM contribution WHERE period = '2026-01-01'") == [(None,)]
    proved(engine, world)
    # Finance decides again: a second waiver writes off the whole month.
    _waive(client, engine)
    assert (month(engine), _written_off(engine)) == (("waived", 0), 16_800)
    proved(engine, world)


def test_money_taken_back_from_a_month_credit_paid_then_waived(client, engine, settings, face, waivable) -> None:  # type: ignore[no-untyped-def]
    """A dispute won pays the month again as credit; refunds at the gateway then take that credit back
    out of the month, before and after its rest is waived."""
    world = stripe_world(engine, settings, face.url, ["sim_ok"])
    [pi_id] = list(face.face.intents)
    opened = face.face.dispute(pi_id)
    deliver(client, opened)
    deliver(client, face.face.close_dispute(opened["data"]["object"]["id"], won=True))
    assert month(engine) == ("paid", 16_800)  # by credit
    for event in face.face.refund_outside(pi_id, 100):
        deliver(client, event)
    assert month(engine) == ("due", 16_700)
    _waive(client, engine)
    proved(engine, world)
    for event in face.face.refund_outside(pi_id, 100):
        deliver(client, event)
    assert _held_at_bank(face, pi_id) == 16_600
    assert (month(engine), _written_off(engine)) == (("due", 16_600), 0)
    assert rows(engine, "SELECT COALESCE(SUM(balance), 0) FROM participant_credit") == [(0,)]
    proved(engine, world)
