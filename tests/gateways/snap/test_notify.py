"""The SNAP notify receiver (``POST /api/v1/webhooks/snap/v1.0/debit/notify``): the bank's callbacks
are verified by its signature, stored once, applied only when the bank confirms the charge they
name; duplicates, late and contradictory ones change nothing more, forged ones are refused."""

from datetime import date, datetime, timedelta

import pytest

from billing.debits.execution import DayClock
from billing.debits.service import run_debits, start_debit_run
from billing.gateways.base import ChargeRequest
from billing.gateways.simulator.snap_face import SnapFaceServer
from billing.gateways.snap import signing, wire
from billing.gateways.snap.client import SnapGateway
from billing.ledger.verify import verify
from schedulers import jobs
from tests.debits.world import enrol, rows
from tests.gateways.snap.conftest import NOTIFY_PATH, Keys, settings_for

START, DAY = date(2026, 1, 1), date(2026, 1, 5)


@pytest.fixture
def snap_env(monkeypatch: pytest.MonkeyPatch, face: SnapFaceServer, keys: Keys) -> None:
    """The app's SNAP adapter asks the face (to confirm what a callback names) and knows its key."""
    monkeypatch.setenv("BILLING_SNAP_BASE_URL", face.url)
    monkeypatch.setenv("BILLING_SNAP_PRIVATE_KEY_PATH", str(keys.partner))
    monkeypatch.setenv("BILLING_SNAP_PROVIDER_PUBLIC_KEY_PATH", str(keys.bank_public))


def deliver(client, payload: bytes, headers: dict[str, str]) -> tuple[int, dict]:  # type: ignore[no-untyped-def,type-arg]
    resp = client.post(NOTIFY_PATH, data=payload, headers=headers)
    return resp.status_code, resp.get_json()


def month(engine) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    return rows(engine, "SELECT status, amount_paid FROM contribution WHERE period = '2026-01-01'")[0]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_callbacks_duplicated_contradicted_and_forged(client, engine, settings, face, keys, snap_env) -> None:  # type: ignore[no-untyped-def]
    enrol(engine, START, "sim_timeout_then_ok", debit_day=DAY.day, gateway="snap")
    clock = DayClock(DAY)
    gateway = SnapGateway(settings_for(face.url, keys, forward_clock=True, max_retries=0), clock=clock)
    try:
        jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
        run_debits(engine, settings, gateway, clock, DAY)
        assert rows(engine, "SELECT status, gateway_reference FROM debit_attempt") == [("unknown", None)]
        [(key,)] = rows(engine, "SELECT idempotency_key FROM debit_attempt")
        [body] = list(face.snap_face.notified)  # the bank took the money and says so by callback
        assert (body["originalPartnerReferenceNo"], body["latestTransactionStatus"]) == (key, "00")

        payload, headers = face.snap_face.sign_notify(body, NOTIFY_PATH)
        status, got = deliver(client, payload, headers)
        assert status == 200, got
        assert (got["responseCode"], got["status"], got["changed"], got["duplicate"]) == (
            "2005600",
            "applied",
            True,
            False,
        )
        assert month(engine) == ("paid", 16_800)
        assert rows(engine, "SELECT status, gateway_reference FROM debit_attempt") == [("succeeded", f"sim_ch_{key}")]

        # The same callback again (a new timestamp and external id): stored once.
        status, got = deliver(client, *face.snap_face.sign_notify(body, NOTIFY_PATH))
        assert (status, got["duplicate"], got["changed"]) == (200, True, False)

        # A late, contradictory one ("failed") for the same charge: kept, changes nothing.
        failed = {**body, "latestTransactionStatus": "06", "transactionStatusDesc": "Failed"}
        status, got = deliver(client, *face.snap_face.sign_notify(failed, NOTIFY_PATH))
        assert (status, got["changed"]) == (200, False)
        assert month(engine) == ("paid", 16_800)

        # Forged: signed with another key, altered after signing, stale, or naming a charge the bank lacks.
        other = signing.load_private_key(keys.partner)
        stamp = wire.timestamp()
        raw = wire.minify(body)
        forged_headers = {
            **headers,
            "X-TIMESTAMP": stamp,
            "X-SIGNATURE": signing.sign_notify(other, "POST", NOTIFY_PATH, raw, stamp),
        }
        assert deliver(client, raw, forged_headers)[0] == 400
        more = wire.minify({**body, "amount": wire.amount(1_000_000)})
        assert deliver(client, more, headers)[0] == 400
        old = wire.timestamp(datetime.now(wire.WIB) - timedelta(minutes=10))
        assert deliver(client, *face.snap_face.sign_notify(body, NOTIFY_PATH, old))[0] == 400
        assert deliver(client, *face.snap_face.sign_notify(body, "/another/path"))[0] == 400
        missing = {k: v for k, v in headers.items() if k != "X-SIGNATURE"}
        status, got = deliver(client, payload, missing)
        assert (status, got["code"]) == (400, "invalid_webhook_signature")
        invented = {**body, "originalReferenceNo": "sim_ch_invented", "originalPartnerReferenceNo": key}
        status, got = deliver(client, *face.snap_face.sign_notify(invented, NOTIFY_PATH))
        assert (status, got["status"]) == (200, "refused")
        status, got = deliver(client, *face.snap_face.sign_notify({"originalReferenceNo": 5}, NOTIFY_PATH))
        assert (status, got["code"]) == (400, "malformed_webhook")

        assert month(engine) == ("paid", 16_800)
        assert face.snap_face.bank.total_debited() == 16_800
        with engine.connect() as conn:
            result = verify(conn, gateway)
        assert result.ok, result.problems
    finally:
        gateway.close()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_callback_before_the_attempt_is_known_waits_for_it(client, engine, settings, face, keys, snap_env) -> None:  # type: ignore[no-untyped-def]
    """Out of order: the bank's callback names a payment before our books have its attempt (a run
    planned after another process sent it). It is kept pending; the settlement job applies it once
    the attempt exists, and the engine never sends that payment again."""
    enrol(engine, START, "sim_ok", debit_day=DAY.day, gateway="snap")
    ctx = jobs.JobContext(settings.model_copy(update={"gateway": "snap"}), engine)
    jobs.generate_contributions(ctx, DAY)
    [(cid,)] = rows(engine, "SELECT id FROM contribution WHERE period = '2026-01-01'")
    key = f"ct{cid}-1"  # the key the planning gives the month's first attempt
    bank = face.snap_face.bank
    bank.charge(ChargeRequest(amount=16_800, payment_method="sim_ok", idempotency_key=key))
    record = bank.store.get(key)
    assert record is not None and record.moved_money
    body = face.snap_face.notify_body(record)  # what the bank notifies of it
    status, got = deliver(client, *face.snap_face.sign_notify(body, NOTIFY_PATH))
    assert (status, got["status"]) == (200, "pending")

    start_debit_run(engine, settings, DAY)
    assert rows(engine, "SELECT idempotency_key, status FROM debit_attempt") == [(key, "pending")]
    counts = jobs.settle_unknown_outcomes(ctx, DAY)
    assert counts["events"] == 1
    assert rows(engine, "SELECT status, gateway_reference FROM debit_attempt") == [("succeeded", f"sim_ch_{key}")]
    assert rows(engine, "SELECT gateway, status FROM gateway_event") == [("snap", "applied")]
    assert month(engine) == ("paid", 16_800)
    gateway = SnapGateway(settings_for(face.url, keys), clock=DayClock(DAY))
    try:
        run_debits(engine, settings, gateway, DayClock(DAY), DAY)  # the batch finds nothing left to send
        assert face.snap_face.payments[key] == 0 and bank.debits("sim_ok") == 1
        with engine.connect() as conn:
            result = verify(conn, gateway)
        assert result.ok, result.problems
    finally:
        gateway.close()
