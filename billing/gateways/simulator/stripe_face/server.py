"""Running the Stripe face: in a background thread (tests, benchmarks) or in the foreground (the CLI)."""

import asyncio
import threading
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from aiohttp import web

from billing.gateways.simulator.settings import from_settings as simulator
from billing.gateways.simulator.stripe_face.app import FaceConfig, make_app
from billing.gateways.simulator.stripe_face.face import StripeFace, simulated_day
from billing.timeutil import today_local


def build(
    *,
    clock: Callable[[], date] | None = None,
    processing_s: float = 0.0,
    retry_after_s: int = 1,
    latency_ms: int = 0,
    stall_s: float = 30.0,
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_simulator",
    **bank_options: Any,
) -> FaceConfig:
    """A face over a new bank. ``bank_options`` are the simulator's (seed, state_path, fault rates,
    timezone); the latency is the face's, awaited, so that requests wait in parallel."""
    base = clock or partial(today_local, bank_options.get("timezone", "Asia/Jakarta"))

    def today() -> date:
        return simulated_day.get() or base()

    bank = simulator(clock=today, **bank_options).bank
    face = StripeFace(bank, processing_s=processing_s, retry_after_s=retry_after_s)
    return FaceConfig(face, latency_ms / 1000, stall_s, webhook_url, webhook_secret)


class FaceServer:
    """The face on 127.0.0.1 in a thread of its own with its own event loop; ``port=0`` picks a free port."""

    def __init__(self, cfg: FaceConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.cfg = cfg
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="stripe-face", daemon=True)

    @property
    def face(self) -> StripeFace:
        return self.cfg.face

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "FaceServer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def _app(self) -> web.Application:
        return make_app(self.cfg)

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> "FaceServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(cfg: FaceConfig, host: str, port: int) -> None:
    """In the foreground until interrupted."""
    web.run_app(make_app(cfg), host=host, port=port, access_log=None, print=None)
