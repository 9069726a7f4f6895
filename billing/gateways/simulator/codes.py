"""The simulated bank answers in Bank Indonesia SNAP response codes: HTTP status + service code + case
code (``403xx14`` is "Insufficient Funds" for any service ``xx``). The mapping to our taxonomy is data."""

from dataclasses import dataclass, field

from billing.gateways.base import ChargeStatus
from billing.gateways.failures import FailureCode

SERVICE = "54"  # SNAP service code of Direct Debit Payment


@dataclass(frozen=True, slots=True)
class SnapCase:
    pattern: str  # "403xx14"
    message: str
    failure_code: FailureCode | None  # None: the charge succeeded
    # Derived once: read on every charge.
    code: str = field(init=False)
    status: ChargeStatus = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", self.pattern.replace("xx", SERVICE))
        status = ChargeStatus.succeeded if self.failure_code is None else ChargeStatus.failed
        object.__setattr__(self, "status", status)


_F = FailureCode

SNAP_CASES: dict[str, SnapCase] = {
    c.pattern: c
    for c in (
        SnapCase("200xx00", "Successful", None),
        SnapCase("401xx02", "Invalid Customer Token", _F.mandate_revoked),
        SnapCase("403xx02", "Exceeds Transaction Amount Limit", _F.limit_exceeded),
        SnapCase("403xx05", "Do Not Honor", _F.do_not_honor),
        SnapCase("403xx07", "Card Blocked", _F.account_blocked),
        SnapCase("403xx09", "Dormant Account", _F.account_blocked),
        SnapCase("403xx14", "Insufficient Funds", _F.insufficient_funds),
        SnapCase("403xx15", "Transaction Not Permitted", _F.generic_decline),
        SnapCase("403xx18", "Inactive Account", _F.account_closed),
        SnapCase("403xx23", "Account Limit Exceed", _F.limit_exceeded),
        SnapCase("404xx11", "Invalid Account", _F.invalid_account),
        SnapCase("429xx00", "Too Many Requests", _F.rate_limited),
        SnapCase("500xx00", "General Error", _F.gateway_error),
        SnapCase("500xx01", "Internal Server Error", _F.gateway_error),
        SnapCase("504xx00", "Timeout", _F.gateway_error),
    )
}

BY_CODE: dict[str, SnapCase] = {c.code: c for c in SNAP_CASES.values()}

SUCCESS = SNAP_CASES["200xx00"]
INSUFFICIENT = SNAP_CASES["403xx14"]
LIMIT = SNAP_CASES["403xx02"]
NOT_PERMITTED = SNAP_CASES["403xx15"]
CLOSED = SNAP_CASES["403xx18"]
DORMANT = SNAP_CASES["403xx09"]
BLOCKED = SNAP_CASES["403xx07"]
INVALID_ACCOUNT = SNAP_CASES["404xx11"]
TOKEN_REVOKED = SNAP_CASES["401xx02"]
RATE_LIMITED = SNAP_CASES["429xx00"]
SERVER_ERROR = SNAP_CASES["500xx01"]
TIMEOUT = SNAP_CASES["504xx00"]


def normalise(raw_code: str) -> FailureCode | None:
    """Our code for a SNAP response code of any service. Unlisted codes go by their HTTP status:
    2xx succeeded, 429 rate_limited, 5xx gateway_error, any other a generic decline."""
    case = SNAP_CASES.get(raw_code[:3] + "xx" + raw_code[5:])
    if case is not None:
        return case.failure_code
    if raw_code.startswith("2"):
        return None
    if raw_code.startswith("429"):
        return _F.rate_limited
    return _F.gateway_error if raw_code.startswith("5") else _F.generic_decline
