"""The Stripe face on HTTP: an aiohttp application, so that many charges wait out the injected
latency at once (``await asyncio.sleep``), and signed webhooks POSTed to a configured URL."""

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp
from aiohttp import web

from billing.gateways.simulator.background import Background
from billing.gateways.simulator.stripe_face import objects
from billing.gateways.simulator.stripe_face.face import Answer, StripeFace, simulated_day
from billing.gateways.stripe import signature
from billing.gateways.stripe.client import CLOCK_HEADER

log = logging.getLogger(__name__)
KEPT = 100_000


@dataclass
class Delivery:
    event: dict[str, Any]
    payload: bytes
    headers: dict[str, str]
    status: int | None = None  # the receiver's answer; None when it could not be reached


@dataclass
class FaceConfig:
    face: StripeFace
    latency_s: float = 0.0
    stall_s: float = 30.0  # how long a "timeout" holds its answer
    webhook_url: str | None = None
    webhook_secret: str = "whsec_simulator"
    webhook_tries: int = 3
    # The latest events the face emitted, and its latest POSTs to webhook_url (for tests and debugging).
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEPT))
    deliveries: deque[Delivery] = field(default_factory=lambda: deque(maxlen=KEPT))
    background: Background = field(default_factory=Background)

    def sign(self, event: dict[str, Any]) -> Delivery:
        payload = json.dumps(event, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            signature.HEADER: signature.header(payload, [self.webhook_secret]),
        }
        return Delivery(event, payload, headers)


FACE = web.AppKey("face", FaceConfig)


def _json(answer: Answer) -> web.Response:
    return web.Response(
        status=answer.status,
        body=json.dumps(answer.body, separators=(",", ":")).encode(),
        content_type="application/json",
        headers=answer.headers,
    )


def _authorised(request: web.Request) -> bool:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return scheme == "Bearer" and key.startswith("sk_")


async def _handle(request: web.Request) -> web.Response:
    cfg = request.app[FACE]
    if not _authorised(request):
        return _json(Answer(401, objects.error("invalid_request_error", "Invalid API Key provided.")))
    day = request.headers.get(CLOCK_HEADER)
    try:
        token = simulated_day.set(date.fromisoformat(day) if day else None)
    except ValueError:
        return _json(Answer(400, objects.error("invalid_request_error", f"{CLOCK_HEADER} must be YYYY-MM-DD")))
    try:
        body = await request.read() if request.method == "POST" else b""
        if cfg.latency_s:
            await asyncio.sleep(cfg.latency_s)
        if request.method == "POST":
            answer = cfg.face.post(request.path, body, request.headers.get("Idempotency-Key"))
        else:
            answer = cfg.face.get(request.path, dict(request.query))
    finally:
        simulated_day.reset(token)
    for event in answer.events:
        _emit(cfg, event)
    if answer.settle is not None and cfg.face.processing_s > 0:
        cfg.background.spawn(_settle_later(cfg, answer.settle))
    if answer.stall:
        await asyncio.sleep(cfg.stall_s)
    return _json(answer)


async def _settle_later(cfg: FaceConfig, pi_id: str) -> None:
    await asyncio.sleep(cfg.face.processing_s)
    _emit(cfg, cfg.face.finish(pi_id))


def _emit(cfg: FaceConfig, event: dict[str, Any]) -> None:
    cfg.events.append(event)
    if cfg.webhook_url is not None:
        cfg.background.spawn(_deliver(cfg, event))


async def _deliver(cfg: FaceConfig, event: dict[str, Any]) -> None:
    """Signed at each try (a fresh timestamp), retried with backoff like Stripe's deliveries."""
    record = cfg.sign(event)
    cfg.deliveries.append(record)
    session = cfg.background.session
    if cfg.webhook_url is None or session is None:
        return
    for n in range(cfg.webhook_tries):
        delivery = record if n == 0 else cfg.sign(event)
        try:
            async with session.post(cfg.webhook_url, data=delivery.payload, headers=delivery.headers) as resp:
                record.status = resp.status
                if resp.status < 300:
                    return
        except aiohttp.ClientError as exc:
            log.warning("webhook %s to %s failed: %s", event["type"], cfg.webhook_url, exc)
        await asyncio.sleep(0.5 * 2**n)


def make_app(cfg: FaceConfig) -> web.Application:
    app = web.Application()
    app[FACE] = cfg
    app.router.add_route("POST", "/v1/{tail:.*}", _handle)
    app.router.add_route("GET", "/v1/{tail:.*}", _handle)
    cfg.background.attach(app)
    return app
