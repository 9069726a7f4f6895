"""SNAP response codes map onto the failure taxonomy by HTTP status and case whatever the service
code; amounts cross the boundary as two-decimal strings."""

import pytest

from billing.gateways.base import ChargeStatus
from billing.gateways.failures import FailureClass, FailureCode, rule
from billing.gateways.snap import codes, results, wire
from billing.gateways.snap.codes import Verdict

F = FailureCode


@pytest.mark.parametrize(
    ("code", "verdict", "failure"),
    [
        ("2005400", Verdict.success, None),
        ("2025400", Verdict.unknown, F.gateway_error),
        ("4035414", Verdict.failed, F.insufficient_funds),
        ("4031214", Verdict.failed, F.insufficient_funds),  # another service, the same case
        ("4035418", Verdict.failed, F.account_closed),
        ("4035409", Verdict.failed, F.account_blocked),
        ("4045411", Verdict.failed, F.invalid_account),
        ("4015402", Verdict.failed, F.mandate_revoked),
        ("4035402", Verdict.failed, F.limit_exceeded),
        ("4095401", Verdict.duplicate, None),
        ("4095400", Verdict.transient, F.gateway_error),
        ("4295400", Verdict.transient, F.rate_limited),
        ("5005400", Verdict.unknown, F.gateway_error),
        ("5005401", Verdict.unknown, F.gateway_error),
        ("5045400", Verdict.unknown, F.gateway_error),
        ("4015401", Verdict.token, None),
        ("4015400", Verdict.unauthorized, None),
        ("4045501", Verdict.not_found, None),
    ],
)
def test_cases(code: str, verdict: Verdict, failure: FailureCode | None) -> None:
    case = codes.case(code, int(code[:3]))
    assert (case.verdict, case.failure) == (verdict, failure)


def test_unlisted_codes_go_by_their_http_status() -> None:
    assert codes.case("4035477", 403).verdict is Verdict.failed
    assert codes.case("5035499", 503).verdict is Verdict.unknown  # never taken as a failure
    assert codes.case(None, 429).failure is F.rate_limited
    assert codes.case(None, 200).verdict is Verdict.success


def test_every_failure_case_is_a_code_of_the_taxonomy() -> None:
    for case in codes.CASES.values():
        if case.verdict is Verdict.failed:
            assert case.failure is not None and rule(case.failure)
    # Insufficient funds is retried on later days; a closed account stops.
    assert rule(codes.CASES["403xx14"].failure).failure_class is FailureClass.soft  # type: ignore[arg-type]
    assert rule(codes.CASES["403xx18"].failure).failure_class is FailureClass.hard  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("00", ChargeStatus.succeeded),
        ("04", ChargeStatus.succeeded),
        ("01", ChargeStatus.unknown),
        ("02", ChargeStatus.unknown),
        ("03", ChargeStatus.unknown),
        ("05", ChargeStatus.failed),
        ("06", ChargeStatus.failed),
        ("99", ChargeStatus.unknown),  # not a status we know: asked again, never a failure
    ],
)
def test_transaction_statuses(status: str, expected: ChargeStatus) -> None:
    body = {"latestTransactionStatus": status, "originalReferenceNo": "r1", "originalResponseCode": "4035414"}
    result = results.of_status(body)
    assert result is not None and result.status is expected
    if expected is ChargeStatus.failed:
        assert result.failure_code is F.insufficient_funds  # the original response code's


def test_not_found_status_and_failure_without_original_code() -> None:
    assert results.of_status({"latestTransactionStatus": "07"}) is None
    failed = results.of_status({"latestTransactionStatus": "06"})
    assert failed is not None and failed.failure_code is F.generic_decline


def test_amounts() -> None:
    assert wire.amount(16_800) == {"value": "16800.00", "currency": "IDR"}
    assert wire.rupiah({"value": "16800.00", "currency": "idr"}) == (16_800, "IDR")
    for bad in ({"value": "16800.50", "currency": "IDR"}, {"value": "16800", "currency": "IDR"}, {"value": 16800}, "x"):
        with pytest.raises(ValueError):
            wire.rupiah(bad)
