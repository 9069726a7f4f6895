"""A worker binds an account through the self-service pages with BILLING_GATEWAY=snap: the pages send
them to the SNAP face's binding page (the bank's, where the OTP is typed), the bank sends them back,
the binding is read from the bank; the next debit run takes the contribution over SNAP; stopping the
auto-debit revokes the mandate and unbinds the account at the bank, which then refuses the token; so
does a revoke by staff through the API."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from billing.auth.models import Role
from billing.debits.execution import DayClock
from billing.debits.service import run_debits
from billing.gateways.base import ChargeRequest, ChargeStatus
from billing.gateways.failures import FailureCode
from billing.gateways.simulator.snap_face import SnapFaceServer, build
from billing.gateways.snap.client import SnapGateway
from billing.ledger.verify import verify
from billing.mandates.models import Mandate, MandateStatus
from billing.settings import Settings
from schedulers import jobs
from tests.factories import auth, token
from tests.gateways.snap.conftest import Keys, make_keys, settings_for
from tests.web.worker import BANK_OTP, DAY, Worker, set_day


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox": True, "gateway": "snap"})


@pytest.fixture
def face(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Iterator[SnapFaceServer]:
    with SnapFaceServer(build(client_public_key_path=keys.partner_public, private_key_path=keys.bank)) as server:
        monkeypatch.setenv("BILLING_SNAP_BASE_URL", server.url)
        monkeypatch.setenv("BILLING_SNAP_PRIVATE_KEY_PATH", str(keys.partner))
        monkeypatch.setenv("BILLING_SNAP_PROVIDER_PUBLIC_KEY_PATH", str(keys.bank_public))
        monkeypatch.setenv("BILLING_SNAP_FORWARD_CLOCK", "true")
        yield server


def _bind(app: Flask, client: FlaskClient, engine: Engine, face: SnapFaceServer) -> tuple[Worker, Mandate]:
    """A worker enrols and binds ``sim_ok`` on the bank's page with its OTP: their mandate is active."""
    set_day(engine, DAY)
    worker = Worker(app, client)
    worker.enrol()
    to_bank = worker.consent(day=5)
    assert to_bank.status_code == 302
    bank_page = to_bank.headers["Location"]
    assert bank_page.startswith(face.url + "/bind/")  # the bank's own page, not ours
    otp = BANK_OTP.search(httpx.get(bank_page).text)
    assert otp is not None
    back = httpx.post(bank_page, data={"decision": "approve", "account": "sim_ok", "code": otp[1]})
    assert back.status_code == 303
    returned = worker.client.get(urlsplit(back.headers["location"]).path)
    assert (returned.status_code, returned.headers["Location"]) == (302, "/saya/status")
    with Session(engine) as s:
        mandate = s.exec(select(Mandate)).one()
    assert (mandate.status, mandate.gateway) == (MandateStatus.active, "snap")
    assert mandate.payment_method.startswith("snaptok_") and mandate.display.startswith("BRI ••••")
    return worker, mandate


def _debit_day(app: Flask, engine: Engine, face: SnapFaceServer, keys: Keys) -> SnapGateway:
    """The month generated, then the next day's debit run over SNAP; the gateway, for the caller to close."""
    settings = app.extensions["billing.settings"]
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    debit_day = DAY + timedelta(days=1)
    set_day(engine, debit_day)
    gateway = SnapGateway(settings_for(face.url, keys, forward_clock=True), clock=DayClock(debit_day))
    run_debits(engine, settings, gateway, DayClock(debit_day), debit_day)
    return gateway


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_bind_debit_and_stop_over_snap(
    app: Flask, client: FlaskClient, engine: Engine, face: SnapFaceServer, keys: Keys
) -> None:
    worker, mandate = _bind(app, client, engine, face)
    gateway = _debit_day(app, engine, face, keys)
    try:
        bank = face.snap_face.bank
        assert bank.debits("sim_ok") == 1 and bank.total_debited() == 8_400
        with engine.connect() as conn:
            result = verify(conn, gateway)
        assert result.ok, result.problems

        stopped = worker.post("/saya/ubah/hentikan-autodebet", {}, csrf_from="/saya/ubah")
        assert stopped.status_code == 302
        with Session(engine) as s:
            assert s.exec(select(Mandate)).one().status is MandateStatus.revoked
        # Unbound at the bank: the token cannot be debited again, whoever tries.
        again = gateway.charge(
            ChargeRequest(amount=8_400, payment_method=mandate.payment_method, idempotency_key="after-stop")
        )
        assert (again.status, again.failure_code) == (ChargeStatus.failed, FailureCode.mandate_revoked)
        assert bank.total_debited() == 8_400
    finally:
        gateway.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_mandate_staff_revoke_is_unbound_at_the_bank(
    app: Flask, client: FlaskClient, engine: Engine, face: SnapFaceServer, keys: Keys
) -> None:
    _, mandate = _bind(app, client, engine, face)
    headers = auth(token(app, Role.finance))
    revoked = client.post(
        f"/api/v1/mandates/{mandate.id}/revoke", json={"reason": "rekening dilaporkan hilang"}, headers=headers
    )
    assert (revoked.status_code, revoked.get_json()["status"]) == (200, "revoked")
    gateway = SnapGateway(settings_for(face.url, keys, forward_clock=True), clock=DayClock(DAY))
    try:
        again = gateway.charge(
            ChargeRequest(amount=8_400, payment_method=mandate.payment_method, idempotency_key="after-revoke")
        )
        assert (again.status, again.failure_code) == (ChargeStatus.failed, FailureCode.mandate_revoked)
        assert face.snap_face.bank.total_debited() == 0
    finally:
        gateway.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_process_that_dies_after_the_revoke_before_the_unbinding_debits_nothing(
    app: Flask, client: FlaskClient, engine: Engine, face: SnapFaceServer, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, mandate = _bind(app, client, engine, face)

    def dies(*_args: object) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(SnapGateway, "unbind", dies)
    headers = auth(token(app, Role.finance))
    died = client.post(f"/api/v1/mandates/{mandate.id}/revoke", json={"reason": "hilang"}, headers=headers)
    assert died.status_code == 500
    with Session(engine) as s:
        assert s.exec(select(Mandate)).one().status is MandateStatus.revoked  # committed before the bank was asked

    gateway = _debit_day(app, engine, face, keys)
    try:
        # The binding is still at the bank, and nothing was sent to it.
        assert face.snap_face.bank.total_debited() == 0
    finally:
        gateway.close()
