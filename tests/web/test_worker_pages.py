"""The workers' self-service pages through Flask's test client, on SQLite and PostgreSQL, on a sandbox
clock (4 May 2026). The money is counted at the simulated bank, and the books checked against it."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from billing.audit.models import AuditRecord
from billing.auth.models import ApiUser, Role
from billing.auth.service import revoke
from billing.db import unit_of_work
from billing.debits.execution import DayClock
from billing.debits.service import run_debits
from billing.gateways.base import GatewayError
from billing.ledger.verify import verify
from billing.mandates.models import ConsentStatus, Mandate, MandateConsent, MandateEvent, MandateStatus
from billing.participants import service as participants
from billing.participants.models import CoverageStatus, EnrolmentSource, Participant
from billing.participants.schemas import ParticipantCreate
from billing.settings import Settings
from schedulers import jobs
from tests.factories import nik, participant_body
from tests.web.browser_session import use_clock
from tests.web.worker import CSRF, DAY, Worker, bank, enrolment_form, set_day
from tests.web.worker import text as words

PHONE = "+6281234567890"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sandbox": True})


@pytest.fixture
def worker(app: Flask, client: FlaskClient, engine: Engine) -> Worker:
    set_day(engine, DAY)
    return Worker(app, client)


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return list(s.exec(select(AuditRecord.action).order_by(AuditRecord.id)).all())


def _verified(engine: Engine, app: Flask) -> None:
    with engine.connect() as conn:
        result = verify(conn, bank(app))
    assert result.ok, result.problems


def _only_participant(engine: Engine) -> Participant:
    with Session(engine) as s:
        return s.exec(select(Participant)).one()


def test_enrol_bind_and_the_next_debit_run_covers(worker: Worker, app: Flask, engine: Engine) -> None:
    sent = worker.post("/saya/daftar", {**_form(), "jht": ""})
    assert sent.status_code == 302
    confirm = worker.client.get("/saya/daftar/konfirmasi")
    page = words(confirm)
    assert "Iuran Anda Rp 8.400/bulan (potongan PP 50/2025 sampai 31 Desember 2026; tanpa potongan Rp 16.800)" in page
    assert "15 Agustus 1995" in page and "Laki-laki" in page  # read from the NIK
    done = worker.post("/saya/daftar/konfirmasi", {"code": worker.code_for(PHONE)})
    assert done.headers["Location"] == "/saya/autodebet?welcome=1"
    participant = _only_participant(engine)
    assert participant.enrolment_source is EnrolmentSource.web and participant.status is CoverageStatus.registered

    back = worker.bind("sim_ok", day=5)
    assert back.status_code == 302 and back.headers["Location"] == "/saya/status"
    with Session(engine) as s:
        mandate = s.exec(select(Mandate)).one()
        consent = s.exec(select(MandateConsent)).one()
    assert (mandate.status, mandate.payment_method, mandate.debit_day) == (MandateStatus.active, "sim_ok", 5)
    assert str(mandate.consent_source) == "self" and mandate.display.startswith("BRI ••••")
    assert (consent.status, consent.text_version, str(consent.source)) == (ConsentStatus.bound, "2026-12-v1", "self")
    assert consent.source_ip == "127.0.0.1" and consent.amount == 8_400 and consent.mandate_id == mandate.id
    assert "Penarikan berikutnya Rp 8.400 pada 5 Mei 2026 dari BRI" in words(worker.client.get("/saya/status"))

    # The next day's jobs, as the scheduler runs them, with the bank the pages bound the account at.
    settings = app.extensions["billing.settings"]
    jobs.generate_contributions(jobs.JobContext(settings, engine), DAY)
    debit_day = DAY + timedelta(days=1)
    set_day(engine, debit_day)
    run_debits(engine, settings, bank(app), DayClock(debit_day), debit_day)
    assert bank(app).bank.debits("sim_ok") == 1 and bank(app).bank.total_debited() == 8_400
    status = words(worker.client.get("/saya/status"))
    assert "Anda terlindungi sampai 31 Mei 2026" in status
    assert "Rp 8.400 pada 5 Juni 2026" in status  # the next month's debit
    english = words(worker.client.get("/saya/status?lang=en"))
    assert "You are covered until May 31, 2026" in english
    _verified(engine, app)
    assert {"worker.enrolled", "worker.sign_in", "worker.consent_given", "worker.mandate_bound"} <= set(
        _actions(engine)
    )


def _form(**overrides: str) -> dict[str, str]:
    return enrolment_form(**{"nik": "1971011508950001", **overrides})


def _enrolled(engine: Engine, on: date = DAY, **overrides: Any) -> int:
    with unit_of_work(engine) as s:
        p = participants.enrol(s, ParticipantCreate(**participant_body(**overrides)), on)
        assert p.id is not None
        return p.id


def test_sign_in_by_nik_or_phone_then_out(worker: Worker, engine: Engine) -> None:
    assert worker.client.get("/saya/status").headers["Location"] == "/saya/masuk?next=/saya/status"
    number = nik()
    _enrolled(engine, nik=number)
    worker.sign_in(number)
    assert "Siti Aminah" in words(worker.client.get("/saya/status"))
    out = worker.post("/saya/keluar", {}, csrf_from="/saya/status")
    assert out.headers["Location"] == "/saya/masuk?bye=1"
    assert worker.client.get("/saya/status").status_code == 302
    worker.sign_in("0812 3456 7890")
    assert worker.client.get("/saya/status").status_code == 200
    assert _actions(engine).count("worker.sign_in") == 2 and "worker.sign_out" in _actions(engine)


def test_a_revoked_worker_is_signed_out_and_refused(worker: Worker, engine: Engine) -> None:
    number = nik()
    _enrolled(engine, nik=number)
    worker.sign_in(number)
    with unit_of_work(engine) as s:
        user = s.exec(select(ApiUser).where(ApiUser.role == Role.worker)).one()
        revoke(s, user, reason="nomor HP dicuri")
    assert worker.client.get("/saya/status").status_code == 302  # the session ended with the revocation
    worker.ask_code(number)
    refused = worker.post("/saya/masuk/kode", {"code": worker.code_for(PHONE)})
    assert refused.status_code == 403 and "Akses Anda diblokir" in words(refused)


def _scrub(html: str) -> str:
    return CSRF.sub("csrf", html)


def test_a_nik_nobody_enrolled_gets_the_very_same_answers(app: Flask, engine: Engine) -> None:
    set_day(engine, DAY)
    known = nik()
    _enrolled(engine, nik=known)
    unknown = nik()
    answers: dict[str, list[tuple[int, str | None, str]]] = {}
    for number in (known, unknown):
        w = Worker(app, app.test_client())
        asked = w.ask_code(number)
        page = w.client.get("/saya/masuk/kode")
        wrong = w.post("/saya/masuk/kode", {"code": "000000"}, csrf_from="/saya/masuk/kode")
        answers[number] = [
            (r.status_code, r.headers.get("Location"), _scrub(r.get_data(as_text=True))) for r in (asked, page, wrong)
        ]
    assert answers[known] == answers[unknown]
    assert answers[known][2][0] == 401 and "Kode salah. Sisa 4 percobaan." in answers[known][2][2]
    assert len(app.extensions["billing.otp_sender"].outbox) == 1  # the enrolled one's phone only


def test_guessing_codes_locks_out(worker: Worker, app: Flask, engine: Engine) -> None:
    number = nik()
    _enrolled(engine, nik=number)
    worker.ask_code(number)
    first = [worker.post("/saya/masuk/kode", {"code": "000000"}) for _ in range(5)]
    assert [r.status_code for r in first] == [401] * 5
    assert "Sisa 1 percobaan" in words(first[3]) and "Terlalu banyak kode salah untuk kode ini" in words(first[4])
    worker.ask_code(number)
    second = [worker.post("/saya/masuk/kode", {"code": "000001"}) for _ in range(5)]
    # Ten wrong codes in the hour: locked, the right code too, and no new code is sent.
    assert second[-1].status_code == 429 and "Coba lagi dalam 60 menit" in words(second[-1])
    right = worker.post("/saya/masuk/kode", {"code": worker.code_for(PHONE)})
    assert right.status_code == 429
    again = worker.ask_code(number)
    assert again.status_code == 429 and again.headers["Retry-After"] == "3600"
    assert worker.client.get("/saya/status").status_code == 302


def test_a_code_opens_once_and_only_for_five_minutes(worker: Worker, app: Flask, engine: Engine) -> None:
    clock = use_clock(app)
    clock.now = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
    number = nik()
    _enrolled(engine, nik=number)
    worker.ask_code(number)
    code = worker.code_for(PHONE)
    # A second phone holding the same pending sign-in (its cookie copied), to replay the code later.
    thief = Worker(app, app.test_client())
    thief.client.set_cookie("billing_csrf", worker.client.get_cookie("billing_csrf").value)  # type: ignore[union-attr]
    assert worker.post("/saya/masuk/kode", {"code": code}).status_code == 302
    replay = thief.post("/saya/masuk/kode", {"code": code})
    assert replay.status_code == 401 and "Kode ini sudah dipakai" in words(replay)
    late = Worker(app, app.test_client())
    late.ask_code(number)
    clock.advance(minutes=5)
    expired = late.post("/saya/masuk/kode", {"code": late.code_for(PHONE)})
    assert expired.status_code == 401 and "Kode sudah kedaluwarsa" in words(expired)


def test_a_worker_session_ends_when_idle(worker: Worker, app: Flask, engine: Engine) -> None:
    clock = use_clock(app)
    number = nik()
    _enrolled(engine, nik=number)
    worker.sign_in(number)
    clock.advance(minutes=29)
    assert worker.client.get("/saya/status").status_code == 200
    clock.advance(minutes=29)
    assert worker.client.get("/saya/status").status_code == 200  # each request keeps it alive
    clock.advance(minutes=31)
    assert worker.client.get("/saya/status").headers["Location"] == "/saya/masuk?next=/saya/status"
    refused = worker.post("/saya/ubah/tanggal", {"debit_day": "99"}, csrf_from="/saya/masuk")
    assert refused.status_code == 302  # signed out: to the sign-in page, nothing changed


def test_another_workers_rows_are_not_found(app: Flask, engine: Engine) -> None:
    set_day(engine, DAY)
    ani, budi = Worker(app, app.test_client()), Worker(app, app.test_client())
    ani.enrol()
    ani.bind("sim_ok")
    paid = ani.pay("months", 1)
    assert paid.status_code == 302
    budi.enrol(nik=nik(), phone="0813-1111-2222")
    with Session(engine) as s:
        contribution = s.exec(text("SELECT id FROM contribution WHERE status = 'paid'")).one()[0]  # type: ignore[call-overload]
        consent = s.exec(select(MandateConsent.id)).one()
    assert ani.client.get(f"/saya/kuitansi/{contribution}").status_code == 200
    for path in (f"/saya/kuitansi/{contribution}", paid.headers["Location"], f"/saya/autodebet/kembali/{consent}"):
        assert budi.client.get(path).status_code == 404, path
        assert ani.client.get(path).status_code in (200, 302), path
    assert budi.client.get("/saya/kuitansi/999999").status_code == 404


def test_a_post_without_the_forms_token_is_refused(worker: Worker, engine: Engine) -> None:
    assert worker.client.post("/saya/masuk", data={"id": nik()}).status_code == 403
    worker.enrol()
    for path in ("/saya/bayar", "/saya/autodebet", "/saya/ubah/tanggal", "/saya/berhenti", "/saya/keluar"):
        assert worker.client.post(path, data={"what": "arrears", "debit_day": "3"}).status_code == 403, path
    assert worker.client.get("/saya/status").status_code == 200  # still signed in: the refused sign-out did nothing
    to_bank = worker.consent()
    assert worker.client.post(to_bank.headers["Location"], data={"decision": "decline"}).status_code == 403


def test_the_enrolment_form_shows_the_services_problems(worker: Worker, engine: Engine) -> None:
    bad = worker.post("/saya/daftar", _form(nik="1234", full_name=""))
    assert bad.status_code == 422
    page = words(bad)
    assert "NIK harus 16 digit angka" in page and "Terlalu pendek" in page
    english = worker.client.post(
        "/saya/daftar?lang=en", data={"csrf_token": worker.csrf("/saya/daftar"), **_form(nik="1234")}
    )
    assert "NIK must be exactly 16 digits" in words(english)
    number = nik()
    _enrolled(engine, nik=number, phone="0819-0000-1111")
    worker.client.get("/saya/daftar?lang=id")
    taken = worker.post("/saya/daftar", _form(nik=number))
    assert taken.status_code == 302  # nothing said about the NIK before the phone is proved
    again = worker.post("/saya/daftar/konfirmasi", {"code": worker.code_for(PHONE)})
    assert again.status_code == 409 and "NIK sudah terdaftar" in words(again)


def test_a_binding_refused_at_the_bank_changes_nothing(worker: Worker, engine: Engine) -> None:
    worker.enrol()
    declined = worker.bind("sim_ok", approve=False)
    assert declined.status_code == 409 and "declined_by_payer" in words(declined)
    with Session(engine) as s:
        assert s.exec(select(Mandate)).all() == []
        assert s.exec(select(MandateConsent.status)).one() is ConsentStatus.failed
    worker.bind("sim_ok", day=3)
    worker.bind("sim_insufficient_funds", day=7, approve=False)
    with Session(engine) as s:
        mandate = s.exec(select(Mandate)).one()
        assert (mandate.payment_method, mandate.debit_day, mandate.status) == ("sim_ok", 3, MandateStatus.active)
    assert worker.bind("sim_account_dormant", day=9).status_code == 302  # a new account: a new binding
    with Session(engine) as s:
        mandate = s.exec(select(Mandate)).one()
        events = [(e.from_status, e.to_status) for e in s.exec(select(MandateEvent).order_by(MandateEvent.id))]
    assert (mandate.payment_method, mandate.debit_day, mandate.status) == ("sim_account_dormant", 9, "active")
    assert events[-2:] == [(MandateStatus.active, MandateStatus.pending), (MandateStatus.pending, MandateStatus.active)]


def test_a_bank_that_cannot_be_reached_leaves_nothing_half_done(
    worker: Worker, app: Flask, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker.enrol()

    def down(_req: object) -> None:
        raise GatewayError("connection refused")

    monkeypatch.setattr(bank(app), "start_setup", down)
    refused = worker.consent()
    assert refused.status_code == 409 and "tidak dapat dihubungi" in words(refused)
    with Session(engine) as s:
        assert s.exec(select(MandateConsent.status)).one() is ConsentStatus.failed
        assert s.exec(select(Mandate)).all() == []


def test_arrears_paid_now_cover_again(app: Flask, engine: Engine) -> None:
    """Enrolled in March with no auto-debit: March and April unpaid. On 4 May the worker links an
    account and pays the arrears at once: one charge at the bank, both months paid, covered again."""
    settings = app.extensions["billing.settings"]
    ctx = jobs.JobContext(settings, engine)
    number = nik()
    _enrolled(engine, date(2026, 3, 2), nik=number)
    for day in (date(2026, 3, 2), date(2026, 4, 1), date(2026, 5, 1)):
        jobs.generate_contributions(ctx, day)
    jobs.lapse_evaluation(ctx, DAY)
    set_day(engine, DAY)
    worker = Worker(app, app.test_client())
    worker.sign_in(number)
    worker.bind("sim_ok", day=10)
    before = words(worker.client.get("/saya/status"))
    assert "Tunggakan: Rp 25.200 (Maret 2026 – April 2026)" in before
    assert "Bayar paling lambat 31 Mei 2026 agar kepesertaan Anda tidak berakhir" in before
    paid = worker.pay("arrears")
    receipt = words(worker.client.get(paid.headers["Location"]))
    assert "Pembayaran berhasil" in receipt and "Rp 25.200" in receipt and "Maret 2026, April 2026" in receipt
    assert bank(app).bank.debits("sim_ok") == 1 and bank(app).bank.total_debited() == 25_200
    after = words(worker.client.get("/saya/status"))
    assert "Terlindungi sampai 30 April 2026. Iuran Mei 2026 (Rp 8.400) belum dibayar; jatuh tempo 15 Mei 2026" in after
    assert "Tunggakan" not in after
    assert _only_participant(engine).status is CoverageStatus.active
    _verified(engine, app)


def test_a_double_tap_pays_once(worker: Worker, app: Flask, engine: Engine) -> None:
    worker.enrol()
    worker.bind("sim_ok")
    nonce = worker.pay_form()
    first, second = worker.pay("months", 3, nonce), worker.pay("months", 3, nonce)
    assert first.headers["Location"] == second.headers["Location"]
    assert bank(app).bank.debits("sim_ok") == 1 and bank(app).bank.total_debited() == 3 * 8_400
    with Session(engine) as s:
        paid = s.exec(text("SELECT period, paid_via FROM contribution WHERE status = 'paid' ORDER BY period")).all()  # type: ignore[call-overload]
        attempts = s.exec(text("SELECT COUNT(*) FROM debit_attempt")).one()[0]  # type: ignore[call-overload]
    assert [str(p)[:7] for p, _ in paid] == ["2026-05", "2026-06", "2026-07"] and attempts == 1
    assert "Anda terlindungi sampai 31 Juli 2026" in words(worker.client.get("/saya/status"))
    # A new form is a new payment.
    assert worker.pay("months", 1).status_code == 302 and bank(app).bank.debits("sim_ok") == 2
    _verified(engine, app)


def test_changes_and_leaving_are_audited(worker: Worker, engine: Engine) -> None:
    worker.enrol()
    worker.bind("sim_ok", day=5)
    assert worker.post("/saya/ubah/tanggal", {"debit_day": "12"}, csrf_from="/saya/ubah").status_code == 302
    form = {"declared_income": "2000000", "jht": "1"}
    assert worker.post("/saya/ubah/profil", form, csrf_from="/saya/ubah").status_code == 302
    participant = _only_participant(engine)
    assert (participant.declared_income, participant.jht) == (2_000_000, True)
    assert "Juni 2026: Rp 2.000.000, JKK, JKM, JHT" in words(worker.client.get("/saya/ubah"))
    assert worker.post("/saya/ubah/hentikan-autodebet", {}, csrf_from="/saya/ubah").status_code == 302
    assert worker.post("/saya/berhenti", {}).status_code == 422  # not confirmed
    assert worker.post("/saya/berhenti", {"confirm": "yes"}).status_code == 302
    assert _only_participant(engine).status is CoverageStatus.cancelled
    assert "Kepesertaan Anda sudah dihentikan" in words(worker.client.get("/saya/status"))
    with Session(engine) as s:
        mandate = s.exec(select(Mandate)).one()
    assert (mandate.debit_day, mandate.status) == (12, MandateStatus.revoked)
    assert [a for a in _actions(engine) if a.startswith("worker.") and a not in ("worker.sign_in",)][-4:] == [
        "worker.debit_day_changed",
        "worker.profile_changed",
        "worker.mandate_revoked",
        "worker.membership_cancelled",
    ]
