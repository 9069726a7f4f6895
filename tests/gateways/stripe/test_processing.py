"""Bank debits settle later: the charge answers ``processing``; the outcome is unknown until the
intent settles, and ``lookup`` reads the intent rather than replaying the stored ``processing``."""

import time

import pytest

from billing.gateways.base import ChargeStatus
from billing.gateways.failures import FailureCode as F
from billing.gateways.simulator.stripe_face import FaceServer

from .conftest import req


@pytest.fixture
def face_options() -> dict[str, object]:
    return {"processing_s": 0.3}


def test_processing_then_settled(gateway, face: FaceServer) -> None:  # type: ignore[no-untyped-def]
    ok = gateway.charge(req("sim_ok", "slow-ok"))
    poor = gateway.charge(req("sim_insufficient_funds", "slow-poor"))
    assert (ok.status, ok.raw_code) == (ChargeStatus.unknown, "processing") and ok.gateway_reference
    assert gateway.lookup("slow-ok").status is ChargeStatus.unknown
    time.sleep(0.6)
    assert gateway.lookup("slow-ok").succeeded
    settled = gateway.lookup("slow-poor")
    assert (settled.status, settled.failure_code, settled.gateway_reference) == (
        ChargeStatus.failed,
        F.insufficient_funds,
        poor.gateway_reference,
    )
    types = [e["type"] for e in face.cfg.events]
    assert sorted(types) == sorted(
        ["payment_intent.processing"] * 2 + ["payment_intent.succeeded", "payment_intent.payment_failed"]
    )
