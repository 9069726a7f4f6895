"""POST /api/v1/webhooks/stripe: signed by the bank simulator's Stripe face, stored once, applied to
the debit attempt through the debit engine's resolve, in any order, without an API token."""

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from billing.gateways.simulator.stripe_face import Delivery, FaceServer, build
from billing.gateways.stripe import signature
from tests.debits.world import rows

from .conftest import OLD_SECRET, SECRET, WEBHOOK_PATH, stripe_world


@pytest.fixture
def face() -> Iterator[FaceServer]:
    # Debits stay "processing" until the test settles them (face.finish), so it controls the order.
    with FaceServer(build(processing_s=3600, webhook_secret=SECRET)) as server:
        yield server


def post(client, delivery: Delivery, **header_overrides: str):  # type: ignore[no-untyped-def]
    return client.post(WEBHOOK_PATH, data=delivery.payload, headers={**delivery.headers, **header_overrides})


def attempts(engine) -> dict[str, tuple]:  # type: ignore[no-untyped-def,type-arg]
    found = rows(
        engine,
        "SELECT a.idempotency_key, a.status, a.failure_code, c.status FROM debit_attempt a "
        "JOIN contribution c ON c.id = a.contribution_id",
    )
    return {key: tuple(rest) for key, *rest in found}


def _count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    return rows(engine, f"SELECT COUNT(*) FROM {table}")[0][0]


def _key_of(delivery: Delivery) -> str:
    return delivery.event["data"]["object"]["metadata"]["idempotency_key"]


def test_events_apply_once_in_any_order(client, engine, settings, face: FaceServer) -> None:  # type: ignore[no-untyped-def]
    stripe_world(engine, settings, face.url, ["sim_ok", "sim_ok"])
    processing = {_key_of(d): d for d in map(face.cfg.sign, face.cfg.events)}
    assert len(processing) == 2 and {d.event["type"] for d in processing.values()} == {"payment_intent.processing"}
    assert {v[:2] for v in attempts(engine).values()} == {("unknown", "gateway_error")}  # settle later
    first, second = sorted(processing)
    # Planning writes a run's attempts in no particular order: look the id up by key.
    attempt_of = dict(rows(engine, "SELECT idempotency_key, id FROM debit_attempt"))

    # In order: processing (no change of outcome), succeeded, then Stripe redelivers succeeded.
    assert post(client, processing[first]).get_json() == {
        "received": True,
        "duplicate": False,
        "attempt_id": attempt_of[first],
        "changed": True,
        "status": "applied",
        "problem": None,
    }
    succeeded = face.cfg.sign(face.face.finish(processing[first].event["data"]["object"]["id"]))
    assert post(client, succeeded).get_json()["changed"] is True
    assert post(client, succeeded).get_json() == {
        "received": True,
        "duplicate": True,
        "attempt_id": None,
        "changed": False,
        "status": None,
        "problem": None,
    }

    # Out of order: succeeded first, the older processing event after it must not regress anything.
    late = face.cfg.sign(face.face.finish(processing[second].event["data"]["object"]["id"]))
    assert post(client, late).status_code == 200
    assert post(client, processing[second]).get_json()["changed"] is False

    assert attempts(engine) == {first: ("succeeded", None, "paid"), second: ("succeeded", None, "paid")}
    assert rows(engine, "SELECT COUNT(*), SUM(amount) FROM ledger_transfer")[0] == (2, 2 * 16_800)
    assert _count(engine, "debit_unsettled") == 0
    assert _count(engine, "gateway_event") == 4  # each distinct event stored once
    assert face.face.bank.debits("sim_ok") == 2


def test_a_failed_debit_reported_by_webhook_is_scheduled_for_retry(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    stripe_world(engine, settings, face.url, ["sim_insufficient_funds"])
    [processing] = map(face.cfg.sign, face.cfg.events)
    failed = face.cfg.sign(face.face.finish(processing.event["data"]["object"]["id"]))
    assert failed.event["type"] == "payment_intent.payment_failed"
    assert post(client, failed).get_json()["changed"] is True
    assert list(attempts(engine).values()) == [("failed", "insufficient_funds", "due")]
    [(attempts_made, next_on, stopped)] = rows(
        engine, "SELECT attempts, next_debit_on, stopped_reason FROM debit_schedule"
    )
    assert (attempts_made, str(next_on), stopped) == (1, "2026-01-14", None)  # payday-aware: before the due date
    assert rows(engine, "SELECT kind FROM notice") == [("debit_failed",)]
    assert post(client, processing).get_json()["changed"] is False  # late processing: still failed


def test_forged_stale_and_unsigned_deliveries_are_refused(client, engine, settings, face) -> None:  # type: ignore[no-untyped-def]
    stripe_world(engine, settings, face.url, ["sim_ok"])
    [delivery] = map(face.cfg.sign, face.cfg.events)
    now = int(time.time())
    forged = signature.header(delivery.payload, ["whsec_attacker"], now)
    stale = signature.header(delivery.payload, [SECRET], now - 301)
    for headers in ({signature.HEADER: forged}, {signature.HEADER: stale}, {signature.HEADER: ""}):
        resp = post(client, delivery, **headers)
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
        assert resp.get_json()["code"] == "invalid_webhook_signature"
    tampered = Delivery(delivery.event, delivery.payload.replace(b"processing", b"succeeded"), delivery.headers)
    assert post(client, tampered).status_code == 400
    assert _count(engine, "gateway_event") == 0
    # The secret being rolled out still verifies, with no API token at all.
    rolled = signature.header(delivery.payload, [OLD_SECRET], now)
    assert post(client, delivery, **{signature.HEADER: rolled}).status_code == 200
    assert _count(engine, "gateway_event") == 1


# PostgreSQL only: the face delivers webhooks to the live server's thread while the day is still
# writing, and SQLite's single writer may then refuse one ("database is locked"); the other tests here
# apply webhooks on both databases.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_webhooks_delivered_over_http_settle_the_run(engine, settings, live_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cfg = build(processing_s=0.3, webhook_secret=SECRET, webhook_url=live_url + WEBHOOK_PATH)
    with FaceServer(cfg) as face:
        monkeypatch.setenv("BILLING_STRIPE_BASE_URL", face.url)  # the app reads charges back there
        stripe_world(engine, settings, face.url, ["sim_ok", "sim_account_closed"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _count(engine, "gateway_event") < 4:
            time.sleep(0.1)
    assert sorted(v[:2] for v in attempts(engine).values()) == [("failed", "account_closed"), ("succeeded", None)]
    assert {d.status for d in cfg.deliveries} == {200}
    assert rows(engine, "SELECT COUNT(*) FROM gateway_event WHERE applied_at IS NOT NULL")[0][0] == 4
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT status FROM mandate WHERE payment_method = 'sim_account_closed'")).scalar()
            == "suspended"
        )
