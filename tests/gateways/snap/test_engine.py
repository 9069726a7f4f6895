"""The debit engine runs whole days over HTTP through the SNAP adapter against the simulator's SNAP
face, as it does through the Stripe adapter: outcomes as the bank decided them, every unknown settled
by the status inquiry or a replay of the same ``partnerReferenceNo``, each contribution debited once
at the bank, and ``ledger verify`` against the bank's records clean."""

from datetime import date, timedelta

import pytest

from billing.debits.execution import DayClock
from billing.debits.service import settle_unknown
from billing.gateways.registry import load_gateway
from billing.gateways.simulator.snap_face import SnapFaceServer
from billing.gateways.snap.client import SnapGateway
from billing.ledger.verify import verify
from billing.timeutil import utcnow
from tests.debits.world import World, enrol, rows
from tests.gateways.snap.conftest import CONTRIBUTION, Keys

START, DAY = date(2026, 1, 1), date(2026, 1, 5)
TOKENS = [
    "sim_ok",
    "sim_ok",
    "sim_insufficient_funds",
    "sim_timeout_then_ok",
    "sim_timeout_before_charge",
    "sim_gateway_error_once",
    "sim_processing_ok",
    "sim_account_closed",
]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_day_of_debits_over_snap(engine, settings, face: SnapFaceServer, keys: Keys) -> None:  # type: ignore[no-untyped-def]
    for token in TOKENS:
        enrol(engine, START, token, debit_day=DAY.day, gateway="snap")
    clock = DayClock(DAY)
    # Built by name through the entry point, as BILLING_GATEWAY=snap builds it; no retries inside the
    # adapter, so every timeout and outage is left to the engine's settlement.
    gateway = load_gateway(
        "snap",
        clock=clock,
        base_url=face.url,
        private_key_path=str(keys.partner),
        provider_public_key_path=str(keys.bank_public),
        forward_clock=True,
        max_retries=0,
        read_timeout_s=0.4,
    )
    assert isinstance(gateway, SnapGateway)
    world = World(engine, settings, clock, gateway)
    try:
        world.day(DAY)
        assert rows(engine, "SELECT status, COUNT(*) FROM debit_attempt GROUP BY status ORDER BY status") == [
            ("failed", 2),
            ("succeeded", 5),
            ("unknown", 1),  # in progress at the bank (03 Pending): asked again later, never sent again
        ]
        [(key,)] = rows(engine, "SELECT idempotency_key FROM debit_attempt WHERE status = 'unknown'")
        assert face.snap_face.finish(key) is not None
        settle_unknown(engine, settings, gateway, DAY, now=utcnow() + timedelta(hours=3))
        assert rows(engine, "SELECT status, COUNT(*) FROM debit_attempt GROUP BY status ORDER BY status") == [
            ("failed", 2),
            ("succeeded", 6),
        ]
        assert rows(engine, "SELECT failure_code FROM debit_attempt WHERE status = 'failed' ORDER BY failure_code") == [
            ("account_closed",),
            ("insufficient_funds",),
        ]
        bank = face.snap_face.bank
        # Counted at the bank: one debit per contribution, whatever timed out or failed on the way.
        moved = [c for c in bank.charges() if c.moved_money]
        assert len(moved) == len({c.idempotency_key for c in moved}) == 6
        assert bank.total_debited() == 6 * CONTRIBUTION
        assert set(face.snap_face.payments) == {k for (k,) in rows(engine, "SELECT idempotency_key FROM debit_attempt")}
        with engine.connect() as conn:
            result = verify(conn, gateway)
        assert result.ok, result.problems
        assert result.gateway_checked == "snap"
        assert result.balances["gateway_clearing"] == 6 * CONTRIBUTION
    finally:
        gateway.close()
