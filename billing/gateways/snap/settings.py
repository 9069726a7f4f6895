"""The SNAP adapter's options, from ``BILLING_SNAP_*`` environment variables unless passed in.

The partner's private key is read from the file at ``private_key_path``; the client secret is a
``SecretStr`` (shown as ``**********``): neither is ever logged."""

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from billing.gateways.snap.client import SnapGateway


class SnapSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_SNAP_", extra="forbid", validate_by_name=True)

    # The provider's API root; ``billing gateway-sim --protocol snap`` listens on http://127.0.0.1:12112.
    base_url: str = "http://127.0.0.1:12112"
    # Put before every SNAP path (some providers serve ``/snap/v1.0/…`` or ``/api/v1.0/…``).
    path_prefix: str = ""
    client_id: str = "bpu-autodebit"  # X-CLIENT-KEY of the token request, X-PARTNER-ID of the others
    client_secret: SecretStr = SecretStr("snap-simulator-secret")  # the HMAC-SHA512 key
    private_key_path: str | None = None  # PEM: signs the access token request (SHA256withRSA)
    provider_public_key_path: str | None = None  # PEM: verifies the provider's notify callbacks
    channel_id: str = "95221"  # CHANNEL-ID, as the provider assigned it
    merchant_id: str = ""  # the provider's merchant id, sent as ``merchantId`` when set
    # The service code of direct debit payments, sent in the status inquiry (``serviceCode``).
    payment_service_code: str = "54"
    # Our notify receiver's path as the provider calls it (the callbacks' signatures cover it).
    notify_path: str = "/api/v1/webhooks/snap/v1.0/debit/notify"
    notify_tolerance_s: int = Field(default=300, ge=1)
    # Not SNAP: the simulator's list of transactions (``ledger verify``); None when the provider has
    # none (reconcile with its settlement file instead).
    records_path: str | None = "/sim/v1.0/debit/transactions"
    connect_timeout_s: float = Field(default=3.0, gt=0)
    read_timeout_s: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=8.0, ge=0)
    concurrency: int = Field(
        default=32, ge=1, validation_alias=AliasChoices("BILLING_SNAP_CONCURRENCY", "BILLING_GATEWAY_CONCURRENCY")
    )
    # Send the debit engine's simulated day as ``X-Simulated-Date`` (only the simulator reads it).
    forward_clock: bool = False


def from_settings(*, clock: Callable[[], date] | None = None, **options: Any) -> "SnapGateway":
    """The entry point of the ``snap`` gateway. ``options`` override the environment (see
    ``SnapSettings``); ``clock`` is the debit engine's day, forwarded only with ``forward_clock``."""
    from billing.gateways.snap.client import SnapGateway  # it imports this module

    return SnapGateway(SnapSettings(**options), clock=clock)
