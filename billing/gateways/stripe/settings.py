"""The Stripe adapter's options, from ``BILLING_STRIPE_*`` environment variables unless passed in."""

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from billing.gateways.stripe.client import StripeGateway

API_VERSION = "2024-06-20"  # pinned: a new Stripe version can change response shapes


class StripeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_STRIPE_", extra="forbid", validate_by_name=True)

    api_key: str = "sk_test_local"
    # Real Stripe; stripe-mock on http://127.0.0.1:12111; localstripe; ``billing gateway-sim``.
    base_url: str = "https://api.stripe.com"
    api_version: str = API_VERSION
    # A JSON list; two secrets while one is being rolled.
    webhook_secrets: list[str] = Field(default_factory=list)
    webhook_tolerance_s: int = Field(default=300, ge=1)
    connect_timeout_s: float = Field(default=3.0, gt=0)
    read_timeout_s: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=8.0, ge=0)
    # A longer Retry-After than this ends the retries: the debit engine tries again minutes later.
    max_retry_after_s: float = Field(default=30.0, ge=0)
    concurrency: int = Field(
        default=32, ge=1, validation_alias=AliasChoices("BILLING_STRIPE_CONCURRENCY", "BILLING_GATEWAY_CONCURRENCY")
    )
    # The payment method type a SetupIntent binds (``payment_method_types``).
    setup_method_type: str = "card"
    # Send the debit engine's simulated day as ``X-Simulated-Date`` (only ``billing gateway-sim`` reads it).
    forward_clock: bool = False


def from_settings(*, clock: Callable[[], date] | None = None, **options: Any) -> "StripeGateway":
    """The entry point of the ``stripe`` gateway. ``options`` override the environment (see
    ``StripeSettings``); ``clock`` is the debit engine's day, forwarded only with ``forward_clock``."""
    from billing.gateways.stripe.client import StripeGateway  # it imports this module

    return StripeGateway(StripeSettings(**options), clock=clock)
