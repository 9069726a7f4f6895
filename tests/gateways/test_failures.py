from datetime import date, timedelta

import pytest

from billing.gateways.failures import TAXONOMY, FailureClass, FailureCode, notice_text, rule


def codes_of(cls: FailureClass) -> set[FailureCode]:
    return {code for code, r in TAXONOMY.items() if r.failure_class is cls}


def test_every_code_has_a_rule() -> None:
    assert set(TAXONOMY) == set(FailureCode)
    assert all(code is r.code for code, r in TAXONOMY.items())


def test_classes() -> None:
    F = FailureCode
    assert codes_of(FailureClass.soft) == {F.insufficient_funds, F.do_not_honor, F.generic_decline, F.limit_exceeded}
    assert codes_of(FailureClass.hard) == {
        F.account_closed,
        F.account_blocked,
        F.invalid_account,
        F.mandate_revoked,
        F.authentication_required,
    }
    assert codes_of(FailureClass.transient) == {F.gateway_error, F.rate_limited}


def test_what_each_class_does() -> None:
    hard = rule("mandate_revoked")
    assert (hard.max_tries, hard.policy.retry, hard.policy.suspend_mandate, hard.policy.notify_worker) == (
        1,
        False,
        True,
        True,
    )
    transient = rule(FailureCode.rate_limited)
    assert transient.policy.retry and transient.policy.same_key and not transient.policy.notify_worker
    assert transient.retry_after == timedelta(minutes=2)
    assert rule(FailureCode.gateway_error).retry_after == timedelta(minutes=10)
    soft = rule(FailureCode.insufficient_funds)
    assert soft.policy.retry and not soft.policy.same_key and not soft.policy.suspend_mandate
    assert soft.retry_after is None  # the retry policy schedules soft retries in days
    assert rule(FailureCode.generic_decline).max_tries == 2
    assert rule(FailureCode.insufficient_funds).max_tries == 4


def test_unknown_code_refused() -> None:
    with pytest.raises(ValueError):
        rule("card_velocity_exceeded")


def test_notice_text_with_a_date() -> None:
    assert notice_text(FailureCode.insufficient_funds, date(2026, 6, 25)) == (
        "Saldo tidak cukup. Isi saldo sebelum tanggal 25 Juni 2026 agar iuran dapat ditarik. / "
        "Insufficient balance. Top up before June 25, 2026 so the contribution can be collected."
    )


def test_notice_text_without_a_date() -> None:
    assert notice_text("insufficient_funds") == (
        "Saldo tidak cukup. Isi saldo sebelum penarikan berikutnya agar iuran dapat ditarik. / "
        "Insufficient balance. Top up before the next debit so the contribution can be collected."
    )


@pytest.mark.parametrize("code", list(FailureCode))
def test_every_notice_is_indonesian_then_english(code: FailureCode) -> None:
    text = notice_text(code, date(2026, 3, 1))
    indonesian, english = text.split(" / ")
    assert "{" not in text and indonesian and english and indonesian != english
