"""The SNAP adapter is found by name like any gateway; the simulator's SNAP face is ``billing
gateway-sim --protocol snap``; the notify receiver is in the API document with its signature headers."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from billing.gateways.base import ChargeRequest, ChargeStatus, Gateway
from billing.gateways.registry import known_gateways, load_gateway
from billing.gateways.snap.client import SnapGateway
from tests.api_routes import APP
from tests.gateways.snap.conftest import Keys, settings_for


def test_snap_is_registered(monkeypatch: pytest.MonkeyPatch, keys: Keys) -> None:
    monkeypatch.setenv("BILLING_GATEWAY_CONCURRENCY", "48")
    monkeypatch.setenv("BILLING_SNAP_PRIVATE_KEY_PATH", str(keys.partner))
    monkeypatch.setenv("BILLING_SNAP_CLIENT_SECRET", "from-the-environment")
    assert {"simulator", "stripe", "snap"} <= set(known_gateways())
    gateway = load_gateway("snap", base_url="http://127.0.0.1:12112", clock=lambda: None)
    assert isinstance(gateway, SnapGateway) and isinstance(gateway, Gateway)
    s = gateway.settings
    assert (gateway.name, s.concurrency, s.base_url, s.private_key_path) == (
        "snap",
        48,
        "http://127.0.0.1:12112",
        str(keys.partner),
    )
    # The secret is read, but never shown.
    assert s.client_secret.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in repr(s) and "PRIVATE KEY" not in repr(s)
    gateway.close()


def test_gateway_sim_speaks_snap(monkeypatch: pytest.MonkeyPatch) -> None:
    from billing.cli import main

    monkeypatch.setenv("BILLING_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("BILLING_SECRET_KEY", "entry-points-test-secret")
    result = CliRunner().invoke(main, ["gateway-sim", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--protocol", "--snap-client-public-key", "--snap-private-key", "--webhook-url"):
        assert option in result.output
    refused = CliRunner().invoke(main, ["gateway-sim", "--protocol", "snap"])
    assert refused.exit_code == 2 and "--snap-client-public-key" in refused.output


def test_the_notify_receiver_documents_its_body_and_signature() -> None:
    op = APP.api_doc["paths"]["/api/v1/webhooks/snap/v1.0/debit/notify"]["post"]
    assert op["security"] == []
    assert {"401", "403", "409"}.isdisjoint(op["responses"])  # a duplicate callback is answered 200
    assert "400" in op["responses"]  # a bad signature
    headers = [p["name"] for p in op["parameters"] if p["in"] == "header"]
    assert headers == ["X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID"]
    body = op["requestBody"]["content"]["application/json"]
    assert "originalPartnerReferenceNo" in body["schema"]["required"] and body["example"]


def test_gateway_sim_serves_snap_in_its_own_process(keys: Keys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [str(Path(sys.executable).parent / "billing"), "gateway-sim", "--protocol", "snap", "--port", str(port)]
    cmd += ["--snap-client-public-key", str(keys.partner_public), "--today", "2026-01-05"]
    env = {**os.environ, "BILLING_SECRET_KEY": "entry-points-test-secret", "BILLING_DATABASE_URL": "sqlite://"}
    face = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "face.log").open("wb"))
    gateway = SnapGateway(settings_for(f"http://127.0.0.1:{port}", keys))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/v1.0/debit/status", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "face.log").read_text()
                time.sleep(0.2)
        result = gateway.charge(ChargeRequest(amount=16_800, payment_method="sim_ok", idempotency_key="cli-1"))
        assert (result.status, result.gateway_reference) == (ChargeStatus.succeeded, "sim_ch_cli-1")
        found = gateway.retrieve("sim_ch_cli-1")
        assert found is not None and found.day is not None and found.day.isoformat() == "2026-01-05"
    finally:
        gateway.close()
        face.terminate()
        face.wait(timeout=10)
