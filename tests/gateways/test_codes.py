import pytest

from billing.gateways.failures import FailureCode
from billing.gateways.simulator.codes import SNAP_CASES, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2005400", None),
        ("4035414", FailureCode.insufficient_funds),
        ("4031114", FailureCode.insufficient_funds),  # any SNAP service code
        ("4035418", FailureCode.account_closed),
        ("4035409", FailureCode.account_blocked),
        ("4045411", FailureCode.invalid_account),
        ("4015402", FailureCode.mandate_revoked),
        ("4035402", FailureCode.limit_exceeded),
        ("4035405", FailureCode.do_not_honor),
        ("4295400", FailureCode.rate_limited),
        ("5005401", FailureCode.gateway_error),
        # Unlisted codes go by HTTP status.
        ("4035499", FailureCode.generic_decline),
        ("5035400", FailureCode.gateway_error),
        ("4291199", FailureCode.rate_limited),
        ("2025400", None),
    ],
)
def test_normalise(raw: str, expected: FailureCode | None) -> None:
    assert normalise(raw) == expected


def test_case_codes_are_seven_digits_of_direct_debit_service() -> None:
    assert SNAP_CASES["403xx14"].code == "4035414"
    assert all(len(c.code) == 7 and c.code.isdigit() and c.code[3:5] == "54" for c in SNAP_CASES.values())
