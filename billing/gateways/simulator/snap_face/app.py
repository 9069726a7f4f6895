"""The SNAP face on HTTP: an aiohttp application, so that many payments wait out the injected latency
at once, and signed notify callbacks POSTed to a configured URL."""

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from billing.gateways.simulator.background import Background
from billing.gateways.simulator.snap_face.face import Answer, SnapFace
from billing.gateways.simulator.stripe_face.face import simulated_day
from billing.gateways.snap.client import CLOCK_HEADER

log = logging.getLogger(__name__)
KEPT = 100_000


@dataclass
class Delivery:
    body: dict[str, Any]
    payload: bytes
    headers: dict[str, str]
    status: int | None = None  # the receiver's answer; None when it could not be reached


@dataclass
class SnapFaceConfig:
    face: SnapFace
    latency_s: float = 0.0
    stall_s: float = 30.0  # how long a "timeout" holds its answer
    notify_url: str | None = None
    notify_tries: int = 3
    deliveries: deque[Delivery] = field(default_factory=lambda: deque(maxlen=KEPT))
    background: Background = field(default_factory=Background)


FACE = web.AppKey("snap_face", SnapFaceConfig)


def _response(answer: Answer) -> web.Response:
    if answer.html is not None:
        return web.Response(status=answer.status, text=answer.html, content_type="text/html", headers=answer.headers)
    return web.json_response(answer.body or {}, status=answer.status, headers=answer.headers)


async def _handle(request: web.Request) -> web.Response:
    cfg = request.app[FACE]
    day = request.headers.get(CLOCK_HEADER)
    try:
        token = simulated_day.set(date.fromisoformat(day) if day else None)
    except ValueError:
        return web.json_response({"responseCode": "4000001", "responseMessage": f"{CLOCK_HEADER}"}, status=400)
    try:
        body = await request.read()
        if cfg.latency_s:
            await asyncio.sleep(cfg.latency_s)
        base = f"{request.scheme}://{request.host}"
        answer = cfg.face.handle(request.method, request.path_qs, request.headers, body, base)
    finally:
        simulated_day.reset(token)
    for notify in answer.notifies:
        _emit(cfg, notify)
    if answer.settle is not None and cfg.face.processing_s > 0:
        cfg.background.spawn(_settle_later(cfg, answer.settle))
    if answer.stall:
        await asyncio.sleep(cfg.stall_s)
    return _response(answer)


async def _settle_later(cfg: SnapFaceConfig, key: str) -> None:
    await asyncio.sleep(cfg.face.processing_s)
    notify = cfg.face.finish(key)
    if notify is not None:
        _emit(cfg, notify)


def _emit(cfg: SnapFaceConfig, body: dict[str, Any]) -> None:
    if cfg.notify_url is not None:
        cfg.background.spawn(_deliver(cfg, body))


async def _deliver(cfg: SnapFaceConfig, body: dict[str, Any]) -> None:
    """Signed at each try (a fresh X-TIMESTAMP and X-EXTERNAL-ID), retried with backoff."""
    assert cfg.notify_url is not None
    path = urlsplit(cfg.notify_url).path
    session = cfg.background.session
    for n in range(cfg.notify_tries):
        payload, headers = cfg.face.sign_notify(body, path)
        record = Delivery(body, payload, headers)
        cfg.deliveries.append(record)
        if session is None:
            return
        try:
            async with session.post(cfg.notify_url, data=payload, headers=headers) as resp:
                record.status = resp.status
                if resp.status < 300:
                    return
        except aiohttp.ClientError as exc:
            log.warning("notify of %s to %s failed: %s", body.get("originalReferenceNo"), cfg.notify_url, exc)
        await asyncio.sleep(0.5 * 2**n)


def make_app(cfg: SnapFaceConfig) -> web.Application:
    app = web.Application()
    app[FACE] = cfg
    app.router.add_route("*", "/{tail:.*}", _handle)
    cfg.background.attach(app)
    return app
