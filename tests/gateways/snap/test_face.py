"""The SNAP adapter against the simulator's SNAP face over HTTP on 127.0.0.1: signatures checked
both ways, payments, each mapped failure, timeouts settled by the status inquiry with the same
``partnerReferenceNo``, replays, refunds, binding with OTP and unbinding. Money is counted at the
simulated bank."""

import re

import httpx
import pytest

from billing.gateways.base import (
    ChargeStatus,
    IdempotencyMismatch,
    RefundRequest,
    RefundStatus,
    SetupRequest,
    SetupStatus,
)
from billing.gateways.failures import FailureCode
from billing.gateways.simulator.snap_face import SnapFaceServer
from billing.gateways.snap import signing, wire
from billing.gateways.snap.client import PAYMENT_PATH, SnapApiError, SnapGateway
from tests.gateways.snap.conftest import CONTRIBUTION, GatewayFactory, Keys, req

F = FailureCode


def bank(face: SnapFaceServer):  # type: ignore[no-untyped-def]
    return face.snap_face.bank


def test_a_debit_that_succeeds(gateway: SnapGateway, face: SnapFaceServer) -> None:
    result = gateway.charge(req("sim_ok", "c1-1", attempt="1"))
    assert (result.status, result.gateway_reference, result.raw_code) == (
        ChargeStatus.succeeded,
        "sim_ch_c1-1",
        "2005400",
    )
    assert bank(face).debits("sim_ok") == 1 and bank(face).total_debited() == CONTRIBUTION
    found = gateway.retrieve("sim_ch_c1-1")
    assert found is not None and (found.idempotency_key, found.amount, found.currency) == ("c1-1", CONTRIBUTION, "IDR")
    assert found.day is not None and found.day.isoformat() == "2026-01-20"
    assert [c.idempotency_key for c in gateway.charges()] == ["c1-1"]


@pytest.mark.parametrize(
    ("token", "code", "raw"),
    [
        ("sim_insufficient_funds", F.insufficient_funds, "4035414"),
        ("sim_account_closed", F.account_closed, "4035418"),
        ("sim_account_blocked", F.account_blocked, "4035407"),
        ("sim_account_dormant", F.account_blocked, "4035409"),
        ("sim_invalid_account", F.invalid_account, "4045411"),
        ("sim_mandate_revoked", F.mandate_revoked, "4015402"),
        ("sim_limit_exceeded", F.limit_exceeded, "4035402"),
    ],
)
def test_each_mapped_failure(gateway: SnapGateway, face: SnapFaceServer, token: str, code: F, raw: str) -> None:
    result = gateway.charge(req(token, f"k-{token}"))
    assert (result.status, result.failure_code, result.raw_code) == (ChargeStatus.failed, code, raw)
    assert bank(face).total_debited() == 0
    # The status inquiry says the same: final (06), with the original response code's failure.
    looked = gateway.lookup(f"k-{token}")
    assert looked is not None and (looked.status, looked.failure_code) == (ChargeStatus.failed, code)


def test_a_timeout_is_settled_by_the_status_inquiry_never_a_new_reference(
    make_gateway: GatewayFactory, face: SnapFaceServer
) -> None:
    gateway = make_gateway(max_retries=0)
    first = gateway.charge(req("sim_timeout_then_ok", "t-1"))
    assert (first.status, first.gateway_reference) == (ChargeStatus.unknown, None)
    settled = gateway.lookup("t-1")
    assert settled is not None and (settled.status, settled.gateway_reference) == (ChargeStatus.succeeded, "sim_ch_t-1")
    assert bank(face).debits("sim_timeout_then_ok") == 1
    assert dict(face.snap_face.payments) == {"t-1": 1}  # one payment request, no other reference

    # Timed out before the bank took it: not found, and a replay of the same reference pays once.
    assert gateway.charge(req("sim_timeout_before_charge", "t-2")).status is ChargeStatus.unknown
    assert gateway.lookup("t-2") is None
    assert gateway.charge(req("sim_timeout_before_charge", "t-2")).status is ChargeStatus.succeeded
    assert bank(face).debits("sim_timeout_before_charge") == 1
    assert face.snap_face.payments["t-2"] == 2


def test_timeouts_and_outages_are_sent_again_with_the_same_reference(
    make_gateway: GatewayFactory, face: SnapFaceServer
) -> None:
    gateway = make_gateway(max_retries=2)
    assert gateway.charge(req("sim_timeout_then_ok", "r-1")).status is ChargeStatus.succeeded
    assert gateway.charge(req("sim_gateway_error_once", "r-2")).status is ChargeStatus.succeeded
    face.snap_face.throttle_next = 1
    assert gateway.charge(req("sim_ok", "r-3")).status is ChargeStatus.succeeded
    assert dict(face.snap_face.payments) == {"r-1": 2, "r-2": 2, "r-3": 1}  # r-3's 429 came before the body was read
    assert bank(face).total_debited() == 3 * CONTRIBUTION


def test_a_replayed_reference_answers_the_first_outcome(gateway: SnapGateway, face: SnapFaceServer) -> None:
    first = gateway.charge(req("sim_ok", "d-1"))
    again = gateway.charge(req("sim_ok", "d-1"))
    assert first == again and bank(face).debits("sim_ok") == 1
    declined = gateway.charge(req("sim_insufficient_funds", "d-2"))
    assert gateway.charge(req("sim_insufficient_funds", "d-2")) == declined  # failures too
    # The same reference for another amount is 409xx01: the status inquiry shows it was not this payment.
    with pytest.raises(IdempotencyMismatch):
        gateway.charge(req("sim_ok", "d-1", amount=CONTRIBUTION + 1))
    assert bank(face).total_debited() == CONTRIBUTION


def test_a_payment_in_progress_is_asked_again_until_it_settles(gateway: SnapGateway, face: SnapFaceServer) -> None:
    first = gateway.charge(req("sim_processing_ok", "p-1"))
    assert (first.status, first.gateway_reference, first.raw_code) == (ChargeStatus.unknown, "sim_ch_p-1", "2025400")
    pending = gateway.lookup("p-1")
    assert pending is not None and pending.status is ChargeStatus.unknown  # 03 Pending: not final
    assert face.snap_face.finish("p-1") is not None
    done = gateway.retrieve("sim_ch_p-1")
    assert done is not None and done.result.status is ChargeStatus.succeeded
    assert face.snap_face.payments["p-1"] == 1


def test_refunds(gateway: SnapGateway, face: SnapFaceServer) -> None:
    gateway.charge(req("sim_ok", "f-1"))
    refund = RefundRequest(charge_reference="sim_ch_f-1", amount=6_800, idempotency_key="rf-1")
    done = gateway.refund(refund)
    assert (done.status, done.reference) == (RefundStatus.succeeded, "sim_rf_rf-1")
    assert gateway.refund(refund).status is RefundStatus.succeeded  # a replay: refunded once
    too_much = gateway.refund(RefundRequest(charge_reference="sim_ch_f-1", amount=10_001, idempotency_key="rf-2"))
    assert too_much.status is RefundStatus.failed
    with pytest.raises(IdempotencyMismatch):
        gateway.refund(RefundRequest(charge_reference="sim_ch_f-1", amount=5, idempotency_key="rf-1"))
    unknown = gateway.refund(RefundRequest(charge_reference="sim_ch_nope", amount=5, idempotency_key="rf-3"))
    assert unknown.status is RefundStatus.failed
    assert bank(face).net_collected() == CONTRIBUTION - 6_800
    [reversal] = list(gateway.reversals())
    assert (reversal.charge_reference, reversal.amount, reversal.idempotency_key) == ("sim_ch_f-1", 6_800, "rf-1")
    gateway.refund(RefundRequest(charge_reference="sim_ch_f-1", amount=10_000, idempotency_key="rf-4"))
    refunded = gateway.lookup("f-1")
    assert refunded is not None and (refunded.status, refunded.raw_code) == (ChargeStatus.succeeded, "2005400")


def test_a_wrong_signature_is_refused_and_reaches_no_account(
    make_gateway: GatewayFactory, face: SnapFaceServer, keys: Keys
) -> None:
    wrong_secret = make_gateway(client_secret="not-the-secret")
    with pytest.raises(SnapApiError, match="4015400"):
        wrong_secret.charge(req("sim_ok", "s-1"))
    wrong_key = make_gateway(private_key_path=str(keys.bank))  # another key than the one the bank knows
    with pytest.raises(SnapApiError, match="access token"):
        wrong_key.charge(req("sim_ok", "s-2"))
    assert face.snap_face.refusals["Unauthorized. Signature"] == 1
    assert face.snap_face.refusals["token signature"] == 1
    assert bank(face).charges() == [] and not face.snap_face.payments


def test_an_external_id_is_used_once_a_day_and_tokens_expire(gateway: SnapGateway, face: SnapFaceServer) -> None:
    gateway.charge(req("sim_ok", "x-1"))
    [token] = list(face.snap_face.tokens)
    body = wire.minify({"partnerReferenceNo": "x-2", "bankCardToken": "sim_ok", "amount": wire.amount(CONTRIBUTION)})

    def post(external: str) -> httpx.Response:
        stamp = wire.timestamp()
        headers = {
            "Authorization": f"Bearer {token}",
            "X-TIMESTAMP": stamp,
            "X-SIGNATURE": signing.sign_transaction("snap-simulator-secret", "POST", PAYMENT_PATH, token, body, stamp),
            "X-PARTNER-ID": "bpu-autodebit",
            "X-EXTERNAL-ID": external,
            "CHANNEL-ID": "95221",
            "Content-Type": "application/json",
        }
        return httpx.post(face.url + PAYMENT_PATH, content=body, headers=headers)

    assert post("123").json()["responseCode"] == "2005400"
    again = post("123")
    assert (again.status_code, again.json()["responseCode"]) == (409, "4095400")
    # An expired token is renewed by the adapter, once, without the caller seeing it.
    face.snap_face.tokens.clear()
    assert gateway.charge(req("sim_ok", "x-3")).status is ChargeStatus.succeeded
    assert bank(face).debits("sim_ok") == 3


def _setup(key: str, back: str = "http://app.test/autodebet/kembali/1") -> SetupRequest:
    return SetupRequest(
        customer="snap-participant-1",
        channel="bank",
        provider="BRI",
        max_amount=CONTRIBUTION,
        debit_day=5,
        return_url=back,
        idempotency_key=key,
    )


def test_binding_with_otp_then_unbinding_stops_the_debits(gateway: SnapGateway, face: SnapFaceServer) -> None:
    started = gateway.start_setup(_setup("consent-1"))
    assert started.status is SetupStatus.requires_action and started.next_action_url
    assert gateway.start_setup(_setup("consent-1")).reference == started.reference  # a replay: the same binding
    assert gateway.retrieve_setup(started.reference).status is SetupStatus.requires_action  # type: ignore[union-attr]
    page = httpx.get(started.next_action_url)
    otp = re.search(r'id="bank-otp">(\d{6})<', page.text).group(1)  # type: ignore[union-attr]
    wrong = httpx.post(
        started.next_action_url,
        data={"decision": "approve", "account": "sim_ok", "code": "000000" if otp != "000000" else "111111"},
    )
    assert wrong.status_code == 422
    right = httpx.post(started.next_action_url, data={"decision": "approve", "account": "sim_ok", "code": otp})
    assert (right.status_code, right.headers["location"]) == (303, "http://app.test/autodebet/kembali/1")
    bound = gateway.retrieve_setup(started.reference)
    assert bound is not None and bound.status is SetupStatus.succeeded
    assert bound.payment_method == f"snaptok_{started.reference}" and bound.display.startswith("BRI ••••")  # type: ignore[union-attr]
    token = bound.payment_method
    assert gateway.charge(req(token, "b-1")).status is ChargeStatus.succeeded
    assert bank(face).debits("sim_ok") == 1

    gateway.unbind(token)
    gateway.unbind(token)  # twice changes nothing
    refused = gateway.charge(req(token, "b-2"))
    assert (refused.status, refused.failure_code) == (ChargeStatus.failed, F.mandate_revoked)
    assert gateway.charge(req(token, "b-1")).status is ChargeStatus.succeeded  # a replay still answers the first
    assert bank(face).debits("sim_ok") == 1
    after = gateway.retrieve_setup(started.reference)
    assert after is not None and (after.status, after.failure_code) == (SetupStatus.failed, "unbound")
    assert gateway.retrieve_setup("sim_seti_none") is None


def test_a_declined_binding_fails(gateway: SnapGateway) -> None:
    started = gateway.start_setup(_setup("consent-2"))
    assert httpx.post(started.next_action_url, data={"decision": "decline"}).status_code == 303  # type: ignore[arg-type]
    failed = gateway.retrieve_setup(started.reference)
    assert failed is not None and (failed.status, failed.failure_code) == (SetupStatus.failed, "declined_by_payer")


def test_charge_many_keeps_the_order(make_gateway: GatewayFactory, face: SnapFaceServer) -> None:
    gateway = make_gateway(concurrency=8)
    tokens = ["sim_ok", "sim_insufficient_funds"] * 20
    got = gateway.charge_many([req(t, f"m-{i}") for i, t in enumerate(tokens)])
    assert [r.status for r in got] == [ChargeStatus.succeeded if t == "sim_ok" else ChargeStatus.failed for t in tokens]
    assert bank(face).debits("sim_ok") == 20
