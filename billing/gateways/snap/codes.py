"""SNAP response codes mapped onto our failure taxonomy, as data.

A SNAP ``responseCode`` has 7 digits: the HTTP status (3), the service code (2: 54 debit payment, 55
status inquiry, 58 refund …) and the case code (2). The service code varies by provider and service,
so the mapping keys on HTTP status and case only: ``4035414`` and ``4031214`` are both "insufficient
funds". Each case says what it means for a debit:

- ``success``: the money moved.
- ``failed``: final, nothing moved; ``failure`` is our code (its class in ``failures.py`` decides retries).
- ``unknown``: the provider may or may not have taken the money (a timeout, an internal error, a debit
  still in progress): ask with the status inquiry, or replay the same ``partnerReferenceNo``; never a
  new one.
- ``transient``: refused before anything ran (throttling): replay the same ``partnerReferenceNo`` later.
- ``duplicate``: the ``partnerReferenceNo`` was used before: the status inquiry tells what became of it.
- ``token``: our B2B access token is no longer valid: get a new one and send again.
- ``not_found``: (status inquiry) the provider has no such transaction.
- ``unauthorized``: the provider refused our signature or partner id: a misconfiguration, raised as an
  error (never a debit's failure).

The status inquiry's ``latestTransactionStatus`` is data too (``STATUSES``): only ``00`` (and ``04``,
refunded after it succeeded) says the money moved; ``05``/``06`` are final failures; ``01``-``03`` are
not final and are asked again; ``07`` is "not found"."""

from dataclasses import dataclass
from enum import StrEnum

from billing.gateways.failures import FailureCode


class Verdict(StrEnum):
    success = "success"
    failed = "failed"
    unknown = "unknown"
    transient = "transient"
    duplicate = "duplicate"
    token = "token"
    not_found = "not_found"
    unauthorized = "unauthorized"


@dataclass(frozen=True, slots=True)
class Case:
    pattern: str  # "403xx14": HTTP status, any service, case
    message: str
    verdict: Verdict
    failure: FailureCode | None = None


_V, _F = Verdict, FailureCode

CASES: dict[str, Case] = {
    c.pattern: c
    for c in (
        Case("200xx00", "Successful", _V.success),
        Case("202xx00", "Request In Progress", _V.unknown, _F.gateway_error),
        Case("400xx00", "Bad Request", _V.failed, _F.generic_decline),
        Case("400xx01", "Invalid Field Format", _V.failed, _F.generic_decline),
        Case("400xx02", "Invalid Mandatory Field", _V.failed, _F.generic_decline),
        Case("401xx00", "Unauthorized", _V.unauthorized),
        Case("401xx01", "Invalid Token (B2B)", _V.token),
        Case("401xx02", "Invalid Customer Token", _V.failed, _F.mandate_revoked),
        Case("401xx03", "Token Not Found (B2B)", _V.token),
        Case("403xx01", "Feature Not Allowed", _V.failed, _F.generic_decline),
        Case("403xx02", "Exceeds Transaction Amount Limit", _V.failed, _F.limit_exceeded),
        Case("403xx03", "Suspected Fraud", _V.failed, _F.account_blocked),
        Case("403xx04", "Activity Count Limit Exceeded", _V.failed, _F.limit_exceeded),
        Case("403xx05", "Do Not Honor", _V.failed, _F.do_not_honor),
        Case("403xx06", "Feature Not Allowed At This Time", _V.failed, _F.generic_decline),
        Case("403xx07", "Card Blocked", _V.failed, _F.account_blocked),
        Case("403xx08", "Card Expired", _V.failed, _F.invalid_account),
        Case("403xx09", "Dormant Account", _V.failed, _F.account_blocked),
        Case("403xx10", "Need To Set Token Limit", _V.failed, _F.authentication_required),
        Case("403xx11", "OTP Blocked", _V.failed, _F.authentication_required),
        Case("403xx14", "Insufficient Funds", _V.failed, _F.insufficient_funds),
        Case("403xx15", "Transaction Not Permitted", _V.failed, _F.generic_decline),
        Case("403xx18", "Inactive Account", _V.failed, _F.account_closed),
        Case("403xx19", "Merchant Blacklisted", _V.failed, _F.generic_decline),
        Case("403xx23", "Account Limit Exceed", _V.failed, _F.limit_exceeded),
        Case("404xx01", "Transaction Not Found", _V.not_found),
        Case("404xx08", "Invalid Merchant", _V.failed, _F.generic_decline),
        Case("404xx11", "Invalid Card/Account/Customer", _V.failed, _F.invalid_account),
        Case("404xx13", "Invalid Amount", _V.failed, _F.generic_decline),
        Case("409xx00", "Conflict", _V.transient, _F.gateway_error),  # X-EXTERNAL-ID reused: send anew
        Case("409xx01", "Duplicate partnerReferenceNo", _V.duplicate),
        Case("429xx00", "Too Many Requests", _V.transient, _F.rate_limited),
        Case("500xx00", "General Error", _V.unknown, _F.gateway_error),
        Case("500xx01", "Internal Server Error", _V.unknown, _F.gateway_error),
        Case("500xx02", "External Server Error", _V.unknown, _F.gateway_error),
        Case("504xx00", "Timeout", _V.unknown, _F.gateway_error),
    )
}


def pattern(code: str) -> str:
    return code[:3] + "xx" + code[5:] if len(code) == 7 else code


def case(code: str | None, http_status: int) -> Case:
    """The case of a response code; a missing or unlisted one goes by its HTTP status: 2xx success,
    202 in progress, 429 throttled, 5xx unknown, any other 4xx a generic decline."""
    found = CASES.get(pattern(code or ""))
    if found is not None:
        return found
    status = int(code[:3]) if code and code[:3].isdigit() else http_status
    if status == 202:
        return Case("202xx??", "Accepted", _V.unknown, _F.gateway_error)
    if 200 <= status < 300:
        return Case("2xxxx??", "Successful", _V.success)
    if status == 429:
        return Case("429xx??", "Too Many Requests", _V.transient, _F.rate_limited)
    if status >= 500:
        return Case("5xxxx??", "Server Error", _V.unknown, _F.gateway_error)
    return Case("4xxxx??", "Declined", _V.failed, _F.generic_decline)


@dataclass(frozen=True, slots=True)
class TransactionStatus:
    code: str
    description: str
    verdict: Verdict  # success (money moved), failed (final, nothing moved), unknown, not_found


STATUSES: dict[str, TransactionStatus] = {
    s.code: s
    for s in (
        TransactionStatus("00", "Success", _V.success),
        TransactionStatus("01", "Initiated", _V.unknown),
        TransactionStatus("02", "Paying", _V.unknown),
        TransactionStatus("03", "Pending", _V.unknown),
        TransactionStatus("04", "Refunded", _V.success),  # it succeeded; the refund is a reversal
        TransactionStatus("05", "Canceled", _V.failed),
        TransactionStatus("06", "Failed", _V.failed),
        TransactionStatus("07", "Not Found", _V.not_found),
    )
}
UNKNOWN_STATUS = TransactionStatus("??", "Unknown status", _V.unknown)


def status(code: str | None) -> TransactionStatus:
    """An unlisted status is not final: asked again later, never taken as a failure."""
    return STATUSES.get(code or "", UNKNOWN_STATUS)
