"""The SNAP face POSTs its signed notify callbacks over HTTP to the app served on 127.0.0.1: a payment
that timed out (unknown to the engine) is settled by the bank's callback alone, and a debit in
progress by the callback the bank sends when it settles."""

import time
from datetime import date
from pathlib import Path

import pytest

from billing.debits.execution import DayClock
from billing.debits.service import run_debits
from billing.gateways.simulator.snap_face import SnapFaceServer, build
from billing.gateways.snap.client import SnapGateway
from billing.ledger.verify import verify
from schedulers import jobs
from tests.debits.world import enrol, rows
from tests.gateways.snap.conftest import NOTIFY_PATH, make_keys, settings_for

START, DAY = date(2026, 1, 1), date(2026, 1, 5)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_callbacks_over_http_settle_what_the_engine_did_not_know(  # type: ignore[no-untyped-def]
    engine, settings, live_url: str, tmp_path: Path, monkeypatch
) -> None:
    keys = make_keys(tmp_path)
    cfg = build(
        client_public_key_path=keys.partner_public,
        private_key_path=keys.bank,
        notify_url=live_url + NOTIFY_PATH,
        processing_s=0.3,
        stall_s=1.0,
    )
    with SnapFaceServer(cfg) as face:
        monkeypatch.setenv("BILLING_SNAP_BASE_URL", face.url)  # the app asks the bank what a callback names
        monkeypatch.setenv("BILLING_SNAP_PRIVATE_KEY_PATH", str(keys.partner))
        monkeypatch.setenv("BILLING_SNAP_PROVIDER_PUBLIC_KEY_PATH", str(keys.bank_public))
        for token in ("sim_timeout_then_ok", "sim_processing_ok", "sim_insufficient_funds"):
            enrol(engine, START, token, debit_day=DAY.day, gateway="snap")
        clock = DayClock(DAY)
        gateway = SnapGateway(settings_for(face.url, keys, forward_clock=True, max_retries=0), clock=clock)
        try:
            jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
            run_debits(engine, settings, gateway, clock, DAY)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and rows(
                engine, "SELECT COUNT(*) FROM debit_attempt WHERE status = 'unknown'"
            ) != [(0,)]:
                time.sleep(0.1)
            statuses = sorted(rows(engine, "SELECT status, failure_code FROM debit_attempt"))
            assert statuses == [("failed", "insufficient_funds"), ("succeeded", None), ("succeeded", None)]
            # Three callbacks (each outcome the bank recorded), each taken at the first delivery.
            assert sorted(d.status for d in cfg.deliveries) == [200, 200, 200]
            events = rows(engine, "SELECT gateway, status FROM gateway_event ORDER BY id")
            assert [e[0] for e in events] == ["snap"] * 3 and {e[1] for e in events} == {"applied"}
            assert face.snap_face.bank.total_debited() == 2 * 16_800
            with engine.connect() as conn:
                result = verify(conn, gateway)
            assert result.ok, result.problems
        finally:
            gateway.close()
