"""A worker using the self-service pages through Flask's test client, on a sandbox clock: the codes
read from the development sender, the bank's code from its page, the CSRF token from each form."""

import re
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from billing.gateways.registry import app_gateway
from billing.gateways.simulator.gateway import SimulatorGateway
from billing.otp.senders import ConsoleSender
from billing.simulation import clock
from tests.factories import nik

DAY = date(2026, 5, 4)  # inside PP 50/2025's window for sectors but transport: Rp 16,800 is Rp 8,400
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
BANK_OTP = re.compile(r'id="bank-otp">(\d{6})<')


def set_day(engine: Engine, day: date) -> None:
    clock.save(engine, "test", 0, day, day)


def sender(app: Flask) -> ConsoleSender:
    found = app.extensions["billing.otp_sender"]
    assert isinstance(found, ConsoleSender)
    return found


def bank(app: Flask) -> SimulatorGateway:
    with app.app_context():
        gateway = app_gateway("simulator")
    assert isinstance(gateway, SimulatorGateway)
    return gateway


def text(resp: Any) -> str:
    """The page's words, tags stripped, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True))).strip()


def enrolment_form(**overrides: str) -> dict[str, str]:
    form = {
        "nik": nik(),
        "full_name": "Siti Aminah",
        "phone": "0812-3456-7890",
        "region_code": "19.71",
        "ecosystem": "pasar",
        "sector": "pedagang sayur",
        "sector_category": "perdagangan",
        "declared_income": "1000000",
    }
    form.update(overrides)
    return form


class Worker:
    """One phone: its cookies live in ``client``."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        found = CSRF.search(page.get_data(as_text=True))
        assert found, (path, page.status_code, page.get_data(as_text=True)[:300])
        return found[1]

    def post(self, path: str, form: dict[str, str], csrf_from: str | None = None) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf(csrf_from or path), **form})

    def code_for(self, phone: str) -> str:
        code = sender(self.app).last_code(phone)
        assert code is not None, f"no code sent to {phone}"
        return code

    def ask_code(self, identifier: str) -> Any:
        return self.post("/saya/masuk", {"id": identifier})

    def sign_in(self, identifier: str, phone: str = "+6281234567890") -> Any:
        asked = self.ask_code(identifier)
        assert asked.status_code == 302, asked.get_data(as_text=True)[:500]
        done = self.post("/saya/masuk/kode", {"code": self.code_for(phone)})
        assert done.status_code == 302 and done.headers["Location"] == "/saya/", done.get_data(as_text=True)[:500]
        return done

    def enrol(self, **overrides: str) -> Any:
        form = enrolment_form(**overrides)
        sent = self.post("/saya/daftar", form)
        assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
        phone = "+62" + re.sub(r"\D", "", form["phone"]).removeprefix("62").removeprefix("0")
        done = self.post("/saya/daftar/konfirmasi", {"code": self.code_for(phone)})
        assert done.status_code == 302, done.get_data(as_text=True)[:2000]
        return done

    def consent(self, day: int = 5, provider: str = "BRI", channel: str = "bank") -> Any:
        form = {"channel": channel, f"provider_{channel}": provider, "debit_day": str(day), "agree": "yes"}
        return self.post("/saya/autodebet", form)

    def bind(self, account: str = "sim_ok", day: int = 5, approve: bool = True) -> Any:
        """Consent, confirm at the bank, come back: the response of the return page."""
        to_bank = self.consent(day)
        assert to_bank.status_code == 302, to_bank.get_data(as_text=True)[:1000]
        page = self.client.get(to_bank.headers["Location"])
        html = page.get_data(as_text=True)
        code = BANK_OTP.search(html)
        assert code, html[:500]
        form = {"csrf_token": CSRF.search(html)[1], "account": account, "code": code[1]}  # type: ignore[index]
        form["decision"] = "approve" if approve else "decline"
        back = self.client.post(to_bank.headers["Location"], data=form)
        assert back.status_code == 302
        return self.client.get(back.headers["Location"])

    def pay_form(self) -> str:
        found = NONCE.search(self.client.get("/saya/bayar").get_data(as_text=True))
        assert found
        return found[1]

    def pay(self, what: str, months: int | None = None, nonce: str | None = None) -> Any:
        form = {"what": what, "nonce": nonce or self.pay_form()}
        if months is not None:
            form["months"] = str(months)
        return self.post("/saya/bayar", form)
