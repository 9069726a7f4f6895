"""Money sent back over SNAP: a debit the bank took after its answer was lost, when cash paid the
months meanwhile, becomes credit; finance refunds it through the gateway (``/v1.0/debit/refund``); the
bank moves it back once, whatever is asked again, and the books agree with the bank's records."""

from datetime import date

import pytest

from billing.debits.execution import DayClock
from billing.debits.service import run_debits
from billing.gateways.simulator.snap_face import SnapFaceServer
from billing.gateways.snap.client import SnapGateway
from billing.ledger.verify import verify
from schedulers import jobs
from tests.debits.world import World, enrol, rows
from tests.factories import auth, token
from tests.gateways.snap.conftest import Keys, settings_for

DAY = date(2024, 6, 5)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("contributions", "mandates", "participants", "payments"):
        monkeypatch.setattr(f"billing.{module}.api.today", lambda: DAY)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_credit_is_refunded_over_snap_once(
    client, engine, settings, face: SnapFaceServer, keys: Keys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    finance = auth(token(client.application, "finance"))
    pid = enrol(engine, date(2024, 6, 1), "sim_timeout_then_ok", gateway="snap")
    clock = DayClock(DAY)
    gateway = SnapGateway(settings_for(face.url, keys, forward_clock=True, max_retries=0), clock=clock)
    monkeypatch.setattr("billing.payments.api.app_gateway", lambda name: gateway)
    world = World(engine, settings, clock, gateway)
    try:
        jobs.generate_contributions(world.ctx, DAY)
        run_debits(engine, settings, gateway, clock, DAY)  # taken at the bank, the answer lost: unknown
        assert rows(engine, "SELECT status FROM debit_attempt") == [("unknown",)]
        body = {"months": 3, "receipt_number": "AGEN-2", "channel": "agent", "amount": 3 * 16_800}
        assert client.post(f"/api/v1/participants/{pid}/prepayments", json=body, headers=finance).status_code == 201
        world.day(DAY)  # the status inquiry says the bank took it: the debit becomes credit
        assert rows(engine, "SELECT status FROM debit_attempt") == [("succeeded",)]
        url = f"/api/v1/participants/{pid}/refunds"
        assert client.get(f"/api/v1/participants/{pid}/credit", headers=finance).get_json()["balance"] == 16_800
        done = client.post(url, json={"amount": 16_800, "method": "gateway", "reason": "dobel"}, headers=finance)
        assert done.status_code == 201, done.get_json()
        [refund] = done.get_json()["items"]
        assert (refund["status"], refund["amount"]) == ("succeeded", 16_800)
        again = client.post(url, json={"amount": 1, "method": "gateway", "reason": "dobel"}, headers=finance)
        assert (again.status_code, again.get_json()["code"]) == (409, "refund_exceeds_credit")
        bank = face.snap_face.bank
        assert [(r.kind, r.amount) for r in bank.reversals()] == [("refund", 16_800)]
        assert (bank.total_debited(), bank.net_collected()) == (16_800, 0)
        [reversal] = list(gateway.reversals())
        assert reversal.amount == 16_800 and reversal.charge_reference.startswith("sim_ch_ct")
        with engine.connect() as conn:
            result = verify(conn, gateway)
        assert result.ok, result.problems
    finally:
        gateway.close()
