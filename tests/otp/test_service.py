"""One-time codes, on both backends: a code works once and only for five minutes, wrong guesses are
counted and lock out, sends are limited per person and per address, and a NIK nobody enrolled gets the
same treatment as an enrolled one (its code simply goes nowhere)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from billing.db import unit_of_work
from billing.otp import service
from billing.otp.models import OtpChallenge, OtpPurpose
from billing.otp.senders import ConsoleSender
from billing.settings import Settings

NOW = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
PHONE = "+6281234567890"
TEXT = "Kode masuk Anda {code}"


@pytest.fixture
def sender() -> ConsoleSender:
    return ConsoleSender(reveal=True)


def _issue(engine: Engine, settings: Settings, sender: ConsoleSender, **kw: object) -> OtpChallenge | service.Refusal:
    args: dict[str, object] = {
        "purpose": OtpPurpose.sign_in,
        "who": service.subject(settings, "nik", "1971011508950001"),
        "phone": PHONE,
        "participant_id": None,
        "ip": "10.0.0.1",
        "now": NOW,
        "text": TEXT,
    }
    args.update(kw)
    with unit_of_work(engine) as s:
        return service.issue(s, settings, sender, **args)  # type: ignore[arg-type]


def _verify(engine: Engine, settings: Settings, challenge_id: int | None, code: str, at: datetime = NOW):  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        return service.verify(s, settings, challenge_id, code, OtpPurpose.sign_in, at)


def _participant(engine: Engine) -> int:
    from datetime import date

    from billing.participants import service as participants
    from billing.participants.schemas import ParticipantCreate
    from tests.factories import participant_body

    with unit_of_work(engine) as s:
        p = participants.enrol(s, ParticipantCreate(**participant_body()), date(2026, 5, 1))
        assert p.id is not None
        return p.id


def test_a_code_works_once_and_is_stored_hashed(engine: Engine, settings: Settings, sender: ConsoleSender) -> None:
    pid = _participant(engine)
    issued = _issue(engine, settings, sender, participant_id=pid)
    assert isinstance(issued, OtpChallenge)
    code = sender.last_code(PHONE)
    assert code is not None and len(code) == 6 and code.isdigit()
    assert sender.outbox[-1].text == f"Kode masuk Anda {code}"
    with Session(engine) as s:
        row = s.exec(select(OtpChallenge)).one()
        assert code not in row.code_hash and len(row.code_hash) == 64
        assert "1971011508950001" not in row.subject
    ok = _verify(engine, settings, issued.id, code)
    assert isinstance(ok, OtpChallenge) and ok.participant_id == pid
    assert _verify(engine, settings, issued.id, code) == service.Refusal("used")


def test_a_code_expires_after_five_minutes(engine: Engine, settings: Settings, sender: ConsoleSender) -> None:
    issued = _issue(engine, settings, sender, participant_id=_participant(engine))
    assert isinstance(issued, OtpChallenge)
    code = sender.last_code(PHONE)
    assert code is not None
    assert _verify(engine, settings, issued.id, code, NOW + timedelta(minutes=5)) == service.Refusal("expired")


def test_wrong_codes_kill_the_code_then_lock_the_person(
    engine: Engine, settings: Settings, sender: ConsoleSender
) -> None:
    pid = _participant(engine)
    settings = settings.model_copy(update={"otp_sends_per_hour": 10, "otp_lockout_failures": 7})
    issued = _issue(engine, settings, sender, participant_id=pid)
    assert isinstance(issued, OtpChallenge)
    code = sender.last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answers = [_verify(engine, settings, issued.id, wrong) for _ in range(5)]
    assert [a.left for a in answers[:4]] == [4, 3, 2, 1]  # type: ignore[union-attr]
    assert answers[4] == service.Refusal("too_many_attempts")
    assert _verify(engine, settings, issued.id, code) == service.Refusal("too_many_attempts")  # dead, even if right
    second = _issue(engine, settings, sender, participant_id=pid)
    assert isinstance(second, OtpChallenge)
    _verify(engine, settings, second.id, wrong)
    locked = _verify(engine, settings, second.id, wrong)
    assert locked.code == "locked" and locked.until == NOW + timedelta(minutes=60)  # type: ignore[union-attr]
    # Locked: the right code does not open, and no new code is sent until the lockout ends.
    assert _verify(engine, settings, second.id, sender.last_code(PHONE) or "").code == "locked"  # type: ignore[union-attr]
    assert _issue(engine, settings, sender, participant_id=pid).code == "locked"  # type: ignore[union-attr]
    later = _issue(engine, settings, sender, participant_id=pid, now=NOW + timedelta(minutes=61))
    assert isinstance(later, OtpChallenge)


def test_sends_are_limited_per_person_and_per_address(
    engine: Engine, settings: Settings, sender: ConsoleSender
) -> None:
    settings = settings.model_copy(update={"otp_sends_per_hour": 3, "otp_ip_sends_per_hour": 5})
    for minute in range(3):
        assert isinstance(_issue(engine, settings, sender, now=NOW + timedelta(minutes=minute)), OtpChallenge)
    refused = _issue(engine, settings, sender, now=NOW + timedelta(minutes=3))
    assert refused == service.Refusal("too_many_sends", NOW + timedelta(hours=1))
    # Another person from the same address: two more, then the address is refused.
    other = service.subject(settings, "phone", "+6281299990000")
    assert isinstance(_issue(engine, settings, sender, who=other), OtpChallenge)
    assert isinstance(_issue(engine, settings, sender, who=other), OtpChallenge)
    assert _issue(engine, settings, sender, who=other).code == "too_many_sends"  # type: ignore[union-attr]
    assert isinstance(_issue(engine, settings, sender, who=other, ip="10.0.0.2"), OtpChallenge)
    # An hour after the first send, the person may ask again.
    assert isinstance(_issue(engine, settings, sender, now=NOW + timedelta(minutes=61), ip="10.0.0.3"), OtpChallenge)


def test_an_unknown_nik_is_treated_like_a_known_one(
    engine: Engine, settings: Settings, sender: ConsoleSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No participant: no code is sent, every code is wrong (even the one generated for it), and the
    counts and refusals are the same."""
    settings = settings.model_copy(update={"otp_sends_per_hour": 10})
    monkeypatch.setattr(service.secrets, "randbelow", lambda _n: 123456)
    unknown = _issue(engine, settings, sender, phone=None)
    known = _issue(engine, settings, sender, participant_id=_participant(engine), who="x" * 64)
    assert isinstance(unknown, OtpChallenge) and isinstance(known, OtpChallenge)
    assert len(sender.outbox) == 1  # only the enrolled one's
    assert _verify(engine, settings, unknown.id, "000000") == service.Refusal("wrong_code", left=4)
    assert _verify(engine, settings, known.id, "000000") == service.Refusal("wrong_code", left=4)
    assert _verify(engine, settings, unknown.id, "123456") == service.Refusal("wrong_code", left=3)
    assert isinstance(_verify(engine, settings, known.id, "123456"), OtpChallenge)


def test_a_challenge_of_another_purpose_or_none_is_unknown(
    engine: Engine, settings: Settings, sender: ConsoleSender
) -> None:
    issued = _issue(engine, settings, sender, purpose=OtpPurpose.verify_phone)
    assert isinstance(issued, OtpChallenge)
    assert _verify(engine, settings, issued.id, sender.last_code(PHONE) or "") == service.Refusal("unknown")
    assert _verify(engine, settings, None, "123456") == service.Refusal("unknown")
    assert _verify(engine, settings, 999_999, "123456") == service.Refusal("unknown")
