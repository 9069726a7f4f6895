"""The app served for real on 127.0.0.1 (a gateway delivers webhooks to it), and a day of debits run
through the Stripe adapter against the bank simulator's Stripe face."""

import json
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from werkzeug.serving import make_server

from billing.debits.execution import DayClock
from billing.gateways.stripe.client import StripeGateway
from billing.gateways.stripe.settings import StripeSettings
from billing.settings import Settings
from tests.debits.world import World, enrol

SECRET = "whsec_simulator"
OLD_SECRET = "whsec_rolled_out"
START, DAY = date(2026, 1, 1), date(2026, 1, 5)
WEBHOOK_PATH = "/api/v1/webhooks/stripe"


@pytest.fixture(autouse=True)
def webhook_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two secrets, as while one is being rolled."""
    monkeypatch.setenv("BILLING_STRIPE_WEBHOOK_SECRETS", json.dumps([OLD_SECRET, SECRET]))


@pytest.fixture
def live_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def stripe_world(engine, settings: Settings, base_url: str, tokens: list[str], day: date = DAY) -> World:  # type: ignore[no-untyped-def]
    """Participants on ``tokens`` with mandates debited on ``day``'s day of month, and that day run
    through the Stripe adapter (the engine's simulated day forwarded to the face)."""
    for token in tokens:
        enrol(engine, START, token, debit_day=day.day, gateway="stripe")
    clock = DayClock(day)
    gateway = StripeGateway(
        StripeSettings(base_url=base_url, forward_clock=True, max_retries=1, read_timeout_s=2), clock=clock
    )
    world = World(engine, settings, clock, gateway)
    world.day(day)
    return world
