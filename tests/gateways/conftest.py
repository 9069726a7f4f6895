from datetime import date

import pytest

from billing.gateways.base import ChargeRequest
from billing.gateways.simulator import SimulatorGateway, from_settings

CONTRIBUTION = 16_800  # JKK Rp 10,000 + JKM Rp 6,800 on the lowest bracket


class Clock:
    """The simulated "today"; tests move it to travel in time."""

    def __init__(self, today: date):
        self.today = today

    def __call__(self) -> date:
        return self.today


def req(
    payment_method: str, key: str, amount: int = CONTRIBUTION, currency: str = "IDR", **metadata: str
) -> ChargeRequest:
    return ChargeRequest(
        amount=amount, currency=currency, payment_method=payment_method, idempotency_key=key, metadata=metadata
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(date(2026, 1, 20))


@pytest.fixture
def gateway(clock: Clock) -> SimulatorGateway:
    return from_settings(clock=clock)
