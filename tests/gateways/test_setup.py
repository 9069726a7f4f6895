"""Binding an account at the simulated bank (``start_setup`` / ``retrieve_setup``): the holder confirms
on the bank's own page with the bank's code; the outcome is read from the bank, in memory and in the
shared SQLite file alike; a replayed request is the same binding."""

from pathlib import Path

import pytest

from billing.gateways.base import SetupRequest, SetupStatus
from billing.gateways.simulator import from_settings, setups
from billing.gateways.simulator.gateway import SimulatorGateway


def _req(key: str = "consent-1") -> SetupRequest:
    return SetupRequest(
        customer="sim_cus_1",
        channel="bank",
        provider="BRI",
        max_amount=8_400,
        debit_day=5,
        return_url="http://127.0.0.1/saya/autodebet/kembali/1",
        idempotency_key=key,
    )


@pytest.fixture(params=["memory", "sqlite"])
def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> SimulatorGateway:
    state = str(tmp_path / "bank.sqlite3") if request.param == "sqlite" else None
    return from_settings(state_path=state)


def test_a_binding_needs_the_holders_confirmation(gateway: SimulatorGateway) -> None:
    started = gateway.start_setup(_req())
    assert started.status is SetupStatus.requires_action
    assert started.next_action_url == f"/simulator/bank/setup/{started.reference}"
    assert gateway.start_setup(_req()) == started  # the same request again: the same binding
    assert gateway.start_setup(_req("consent-2")).reference != started.reference
    record = gateway.bank.store.get_setup(started.reference)
    assert record is not None and len(record.otp) == 6
    done = setups.confirm(gateway.bank.store, started.reference, record.otp, "sim_insufficient_funds")
    assert done is not None
    found = gateway.retrieve_setup(started.reference)
    assert found is not None and found.status is SetupStatus.succeeded
    assert found.payment_method == "sim_insufficient_funds" and found.next_action_url is None
    assert found.display is not None and found.display.startswith("BRI ••••")
    # Closed: another answer changes nothing.
    assert setups.confirm(gateway.bank.store, started.reference, record.otp, "sim_ok") is None
    assert gateway.retrieve_setup("sim_seti_none") is None


def test_three_wrong_codes_or_a_decline_fail_it(gateway: SimulatorGateway) -> None:
    started = gateway.start_setup(_req())
    for _ in range(2):
        setups.confirm(gateway.bank.store, started.reference, "000000x", "sim_ok")
        assert gateway.retrieve_setup(started.reference).status is SetupStatus.requires_action  # type: ignore[union-attr]
    setups.confirm(gateway.bank.store, started.reference, "000000x", "sim_ok")
    failed = gateway.retrieve_setup(started.reference)
    assert failed is not None and failed.status is SetupStatus.failed
    assert failed.failure_code == "authentication_failed" and failed.payment_method is None
    other = gateway.start_setup(_req("consent-2"))
    setups.decline(gateway.bank.store, other.reference)
    assert gateway.retrieve_setup(other.reference).failure_code == "declined_by_payer"  # type: ignore[union-attr]


def test_an_account_not_offered_is_refused(gateway: SimulatorGateway) -> None:
    started = gateway.start_setup(_req())
    record = gateway.bank.store.get_setup(started.reference)
    assert record is not None
    setups.confirm(gateway.bank.store, started.reference, record.otp, "1234567890")
    assert gateway.retrieve_setup(started.reference).status is SetupStatus.requires_action  # type: ignore[union-attr]


def test_the_shared_bank_file_keeps_bindings(tmp_path: Path) -> None:
    path = str(tmp_path / "bank.sqlite3")
    started = from_settings(state_path=path).start_setup(_req())
    assert from_settings(state_path=path).retrieve_setup(started.reference) == started
