"""The Stripe adapter against the bank simulator's Stripe face, served on 127.0.0.1 in a thread."""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from billing.gateways.base import ChargeRequest
from billing.gateways.simulator.stripe_face import FaceServer, build
from billing.gateways.stripe.client import StripeGateway
from billing.gateways.stripe.settings import StripeSettings
from tests.gateways.conftest import Clock

CONTRIBUTION = 16_800
SECRET = "whsec_simulator"


@pytest.fixture
def clock() -> Clock:
    return Clock(date(2026, 1, 20))


@pytest.fixture
def face_options() -> dict[str, Any]:
    """Overridden by a test module to change the face (latency, processing, stall)."""
    return {}


@pytest.fixture
def face(clock: Clock, face_options: dict[str, Any]) -> Iterator[FaceServer]:
    options = {"stall_s": 1.0, "webhook_secret": SECRET, **face_options}
    with FaceServer(build(clock=clock, **options)) as server:
        yield server


GatewayFactory = Callable[..., StripeGateway]


@pytest.fixture
def make_gateway(face: FaceServer) -> Iterator[GatewayFactory]:
    made: list[StripeGateway] = []

    def make(sleep: Callable[[float], None] | None = None, **options: Any) -> StripeGateway:
        settings = StripeSettings(
            base_url=face.url, backoff_base_s=0.01, read_timeout_s=0.4, webhook_secrets=[SECRET], **options
        )
        gateway = StripeGateway(settings, sleep=sleep) if sleep else StripeGateway(settings)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> StripeGateway:
    return make_gateway()


def req(payment_method: str, key: str, amount: int = CONTRIBUTION, **metadata: str) -> ChargeRequest:
    return ChargeRequest(amount=amount, payment_method=payment_method, idempotency_key=key, metadata=metadata)
