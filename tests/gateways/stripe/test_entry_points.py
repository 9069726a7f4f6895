"""The adapter is found by name like any gateway; the simulator's Stripe face is a billing command."""

import pytest
from click.testing import CliRunner

from billing.gateways.base import Gateway
from billing.gateways.registry import known_gateways, load_gateway
from billing.gateways.stripe.client import StripeGateway


def test_stripe_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_GATEWAY_CONCURRENCY", "48")
    assert {"simulator", "stripe"} <= set(known_gateways())
    gateway = load_gateway("stripe", base_url="http://127.0.0.1:12111", api_key="sk_test_x", clock=lambda: None)
    assert isinstance(gateway, StripeGateway) and isinstance(gateway, Gateway)
    assert (gateway.name, gateway.settings.concurrency, gateway.settings.base_url) == (
        "stripe",
        48,
        "http://127.0.0.1:12111",
    )
    gateway.close()


def test_gateway_sim_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from billing.cli import main

    monkeypatch.setenv("BILLING_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("BILLING_SECRET_KEY", "entry-points-test-secret")  # every command checks the settings
    result = CliRunner().invoke(main, ["gateway-sim", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--port", "--latency-ms", "--webhook-url", "--processing-ms", "--rate-limited-rate"):
        assert option in result.output
