"""Building and running the SNAP face: over a new bank (the same accounts, paydays, faults and
idempotency store as the bank simulator and its Stripe face), in a background thread (tests,
benchmarks) or in the foreground (``billing gateway-sim --protocol snap``)."""

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from billing.gateways.simulator.settings import from_settings as simulator
from billing.gateways.simulator.snap_face.app import SnapFaceConfig, make_app
from billing.gateways.simulator.snap_face.face import SnapFace
from billing.gateways.simulator.stripe_face.face import simulated_day
from billing.gateways.simulator.stripe_face.server import FaceServer
from billing.gateways.snap import signing
from billing.timeutil import today_local


def build(
    *,
    client_public_key_path: str | Path,
    private_key_path: str | Path | None = None,
    client_id: str = "bpu-autodebit",
    client_secret: str = "snap-simulator-secret",
    clock: Callable[[], date] | None = None,
    processing_s: float = 0.0,
    latency_ms: int = 0,
    stall_s: float = 30.0,
    notify_url: str | None = None,
    **bank_options: Any,
) -> SnapFaceConfig:
    """A face over a new bank. It verifies the partner's token requests with the public key at
    ``client_public_key_path`` and signs its callbacks with the key at ``private_key_path`` (a new
    one when None). ``bank_options`` are the simulator's (seed, state_path, fault rates, timezone)."""
    base = clock or partial(today_local, bank_options.get("timezone", "Asia/Jakarta"))

    def today() -> date:
        return simulated_day.get() or base()

    bank = simulator(clock=today, **bank_options).bank
    own: rsa.RSAPrivateKey = (
        signing.load_private_key(private_key_path)
        if private_key_path
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    face = SnapFace(
        bank,
        client_id=client_id,
        client_secret=client_secret,
        client_public_key=signing.load_public_key(client_public_key_path),
        private_key=own,
        processing_s=processing_s,
    )
    return SnapFaceConfig(face, latency_ms / 1000, stall_s, notify_url)


class SnapFaceServer(FaceServer):
    """The SNAP face on 127.0.0.1 in a thread of its own; ``port=0`` picks a free port."""

    def __init__(self, cfg: SnapFaceConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(cfg, host, port)  # type: ignore[arg-type]
        self.snap = cfg

    @property
    def snap_face(self) -> SnapFace:
        return self.snap.face

    def _app(self) -> web.Application:
        return make_app(self.snap)


def serve(cfg: SnapFaceConfig, host: str, port: int) -> None:
    """In the foreground until interrupted."""
    web.run_app(make_app(cfg), host=host, port=port, access_log=None, print=None)
