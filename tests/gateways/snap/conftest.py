"""The SNAP adapter against the bank simulator's SNAP face, served on 127.0.0.1 in a thread. The
partner's and the bank's key pairs are made once per session, in files (as the settings want them)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from billing.gateways.base import ChargeRequest
from billing.gateways.simulator.snap_face import SnapFaceServer, build
from billing.gateways.snap import signing
from billing.gateways.snap.client import SnapGateway
from billing.gateways.snap.settings import SnapSettings
from tests.gateways.conftest import Clock

CONTRIBUTION = 16_800
NOTIFY_PATH = "/api/v1/webhooks/snap/v1.0/debit/notify"


@dataclass(frozen=True)
class Keys:
    partner: Path  # our private key: signs the access token request
    partner_public: Path  # given to the provider
    bank: Path  # the provider's private key: signs its notify callbacks
    bank_public: Path  # given to us


def make_keys(folder: Path) -> Keys:
    made = Keys(folder / "partner.pem", folder / "partner.pub.pem", folder / "bank.pem", folder / "bank.pub.pem")
    signing.write_key_pair(made.partner, made.partner_public)
    signing.write_key_pair(made.bank, made.bank_public)
    return made


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("snap-keys"))


def settings_for(url: str, keys: Keys, **options: Any) -> SnapSettings:
    values = {
        "base_url": url,
        "private_key_path": str(keys.partner),
        "provider_public_key_path": str(keys.bank_public),
        "backoff_base_s": 0.01,
        "read_timeout_s": 0.4,
        **options,
    }
    return SnapSettings(**values)


@pytest.fixture
def clock() -> Clock:
    return Clock(date(2026, 1, 20))


@pytest.fixture
def face_options() -> dict[str, Any]:
    """Overridden by a test module to change the face (latency, processing, notify URL)."""
    return {}


@pytest.fixture
def face(clock: Clock, keys: Keys, face_options: dict[str, Any]) -> Iterator[SnapFaceServer]:
    options = {"stall_s": 1.0, **face_options}
    cfg = build(client_public_key_path=keys.partner_public, private_key_path=keys.bank, clock=clock, **options)
    with SnapFaceServer(cfg) as server:
        yield server


GatewayFactory = Callable[..., SnapGateway]


@pytest.fixture
def make_gateway(face: SnapFaceServer, keys: Keys) -> Iterator[GatewayFactory]:
    made: list[SnapGateway] = []

    def make(**options: Any) -> SnapGateway:
        gateway = SnapGateway(settings_for(face.url, keys, **options))
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> SnapGateway:
    return make_gateway()


def req(payment_method: str, key: str, amount: int = CONTRIBUTION, **metadata: str) -> ChargeRequest:
    return ChargeRequest(amount=amount, payment_method=payment_method, idempotency_key=key, metadata=metadata)
