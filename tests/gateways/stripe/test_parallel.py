"""Charges of a run wait out the gateway's latency together, up to the concurrency limit."""

import time

import pytest

from billing.gateways.failures import FailureCode as F

from .conftest import GatewayFactory, req


@pytest.fixture
def face_options() -> dict[str, object]:
    return {"latency_ms": 100}


def test_charge_many_runs_in_parallel_and_keeps_order(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(concurrency=32)
    tokens = ["sim_ok", "sim_insufficient_funds", "sim_account_closed"] * 20
    started = time.perf_counter()
    results = gateway.charge_many([req(t, f"many-{i}") for i, t in enumerate(tokens)])
    elapsed = time.perf_counter() - started
    assert [r.failure_code for r in results] == [None, F.insufficient_funds, F.account_closed] * 20
    # Sequential: 6 s. 32 at a time: two rounds of 100 ms.
    assert elapsed < 1.5, f"60 charges at 100 ms each took {elapsed:.2f} s: not parallel"


def test_concurrency_is_bounded(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(concurrency=4)
    started = time.perf_counter()
    assert all(r.succeeded for r in gateway.charge_many([req("sim_ok", f"b-{i}") for i in range(12)]))
    assert time.perf_counter() - started >= 0.3  # 12 charges, 4 at a time: at least 3 rounds of 100 ms
