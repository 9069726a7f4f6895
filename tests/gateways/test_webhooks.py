import json

import pytest

from billing.gateways.base import ChargeStatus, InvalidWebhook
from billing.gateways.failures import FailureCode
from billing.gateways.simulator import SimulatorGateway, from_settings
from billing.gateways.simulator.gateway import SIGNATURE_HEADER

from .conftest import Clock, req


@pytest.mark.parametrize(
    ("method", "status", "code"),
    [
        ("sim_ok", ChargeStatus.succeeded, None),
        ("sim_insufficient_funds", ChargeStatus.failed, FailureCode.insufficient_funds),
    ],
)
def test_round_trip(gateway: SimulatorGateway, method: str, status: ChargeStatus, code: FailureCode | None) -> None:
    result = gateway.charge(req(method, "k1"))
    payload, headers = gateway.webhook("k1")
    event = gateway.parse_webhook(payload, {k.lower(): v for k, v in headers.items()})
    assert (event.id, event.type, event.idempotency_key, event.gateway_reference) == (
        "evt_sim_ch_k1",
        f"charge.{status}",
        "k1",
        "sim_ch_k1",
    )
    assert event.result == result
    assert (event.result.status, event.result.failure_code) == (status, code)


def test_tampered_or_unsigned_refused(gateway: SimulatorGateway) -> None:
    gateway.charge(req("sim_insufficient_funds", "k1"))
    payload, headers = gateway.webhook("k1")
    forged = payload.replace(b"charge.failed", b"charge.succeeded")
    with pytest.raises(InvalidWebhook, match="signature"):
        gateway.parse_webhook(forged, headers)
    with pytest.raises(InvalidWebhook, match="signature"):
        gateway.parse_webhook(payload, {})
    other_secret = from_settings(clock=Clock(gateway.bank.clock()), webhook_secret="another")
    with pytest.raises(InvalidWebhook):
        other_secret.parse_webhook(payload, headers)


@pytest.mark.parametrize("body", [b"not json", json.dumps({"id": "evt_1"}).encode(), b"[]"])
def test_malformed_payload_refused(gateway: SimulatorGateway, body: bytes) -> None:
    signed = {SIGNATURE_HEADER: gateway._sign(body)}
    with pytest.raises(InvalidWebhook, match="malformed"):
        gateway.parse_webhook(body, signed)


def test_no_webhook_for_an_unknown_key(gateway: SimulatorGateway) -> None:
    with pytest.raises(KeyError):
        gateway.webhook("never-seen")
