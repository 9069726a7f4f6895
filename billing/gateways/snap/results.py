"""What a SNAP answer says about our money: a payment's response, a status inquiry's or a notify
callback's transaction status, as ``ChargeResult``s."""

from typing import Any

from billing.gateways.base import ChargeResult, ChargeStatus
from billing.gateways.failures import FailureCode
from billing.gateways.snap import codes
from billing.gateways.snap.codes import Verdict

_SUCCEEDED, _FAILED, _UNKNOWN = ChargeStatus.succeeded, ChargeStatus.failed, ChargeStatus.unknown
NO_ANSWER = ChargeResult(_UNKNOWN, FailureCode.gateway_error, None, "timeout", "no answer from the SNAP provider")


def _ref(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    return value if isinstance(value, str) and value else None


def of_payment(status: int, body: dict[str, Any]) -> tuple[ChargeResult, codes.Case]:
    """The result of a payment's own answer, and its case (the caller handles ``duplicate`` and
    ``token``, which need another request)."""
    code = _ref(body, "responseCode")
    case = codes.case(code, status)
    raw = code or str(status)
    message = str(body.get("responseMessage") or case.message)
    ref = _ref(body, "referenceNo")
    if case.verdict is Verdict.success:
        return ChargeResult(_SUCCEEDED, None, ref, raw, message), case
    if case.verdict is Verdict.failed:
        return ChargeResult(_FAILED, case.failure, ref, raw, message), case
    if case.verdict is Verdict.transient:  # refused before anything ran: the same reference later
        return ChargeResult(_FAILED, case.failure, None, raw, message), case
    return ChargeResult(_UNKNOWN, FailureCode.gateway_error, ref, raw, message), case


def of_status(body: dict[str, Any]) -> ChargeResult | None:
    """A transaction as a status inquiry or a notify callback reports it; None when the provider says
    it has no such transaction. A failure's code is its original response code's, when given."""
    status = codes.status(_ref(body, "latestTransactionStatus"))
    ref = _ref(body, "originalReferenceNo")
    original = _ref(body, "originalResponseCode")
    message = str(body.get("transactionStatusDesc") or status.description)
    raw = original or f"status:{status.code}"
    if status.verdict is Verdict.not_found:
        return None
    if status.verdict is Verdict.success:
        return ChargeResult(_SUCCEEDED, None, ref, raw, message)
    if status.verdict is Verdict.failed:
        case = codes.case(original, 403) if original else None
        failure = case.failure if case is not None and case.verdict is Verdict.failed else None
        return ChargeResult(_FAILED, failure or FailureCode.generic_decline, ref, raw, message)
    return ChargeResult(_UNKNOWN, FailureCode.gateway_error, ref, raw, message)
