"""The SNAP adapter: direct debit over a provider's SNAP API, with httpx.

Every request is signed (``signing``) with a B2B access token fetched once and reused until it is
about to expire (or refused with 401xx01). A payment's ``partnerReferenceNo`` is our idempotency key:
a request that got no answer, a timeout (504xx00), an internal error (5xx) or throttling (429) is sent
again with the SAME ``partnerReferenceNo`` (and a new ``X-EXTERNAL-ID``, which is unique per day), so
the provider can never take the money twice. A payment still without an answer is ``unknown``, and
``lookup`` settles it with the status inquiry (service 55): never with a new reference.
``409xx01`` (the reference was used before) is answered by the status inquiry too."""

import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

import httpx

from billing.gateways.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayCharge,
    GatewayError,
    GatewayReversal,
    IdempotencyMismatch,
    RefundRequest,
    RefundResult,
    RefundStatus,
    ReversalKind,
    SetupRequest,
    SetupResult,
    SetupStatus,
    WebhookEvent,
)
from billing.gateways.failures import FailureCode
from billing.gateways.snap import codes, notify, results, signing, wire
from billing.gateways.snap.codes import Verdict
from billing.gateways.snap.settings import SnapSettings
from billing.gateways.stripe.pool import WorkerPool
from billing.gateways.stripe.transport import PooledTransport

CLOCK_HEADER = "X-Simulated-Date"
TOKEN_PATH = "/v1.0/access-token/b2b"
PAYMENT_PATH = "/v1.0/debit/payment-host-to-host"
STATUS_PATH = "/v1.0/debit/status"
REFUND_PATH = "/v1.0/debit/refund"
BINDING_PATH = "/v1.0/registration-account-binding"
BINDING_INQUIRY_PATH = "/v1.0/registration-account-inquiry"
UNBINDING_PATH = "/v1.0/registration-account-unbinding"
PAGE = 500
TOKEN_MARGIN_S = 60  # a token this close to its expiry is renewed first
_RETRY = frozenset({Verdict.transient})


class Reply(NamedTuple):
    status: int
    body: dict[str, Any]

    @property
    def code(self) -> str | None:
        code = self.body.get("responseCode")
        return code if isinstance(code, str) else None

    @property
    def case(self) -> codes.Case:
        return codes.case(self.code, self.status)


class SnapApiError(GatewayError):
    def __init__(self, reply: Reply, what: str) -> None:
        message = str(reply.body.get("responseMessage", ""))[:200]
        super().__init__(f"the SNAP provider refused to {what}: HTTP {reply.status} {reply.code} {message}")
        self.reply = reply


def _refused(reply: Reply | None, what: str) -> GatewayError:
    return GatewayError(f"no answer from the SNAP provider to {what}") if reply is None else SnapApiError(reply, what)


class SnapGateway:
    name = "snap"

    def __init__(
        self,
        settings: SnapSettings,
        clock: Callable[[], date] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = s = settings
        self._clock = clock if s.forward_clock else None
        self._sleep = sleep
        self._key = signing.load_private_key(s.private_key_path) if s.private_key_path else None
        self._provider_key = signing.load_public_key(s.provider_public_key_path) if s.provider_public_key_path else None
        self._secret = s.client_secret.get_secret_value()
        self._http = httpx.Client(
            transport=transport or PooledTransport(max_connections=s.concurrency),
            timeout=httpx.Timeout(s.read_timeout_s, connect=s.connect_timeout_s),
        )
        self._timeout = {"timeout": self._http.timeout.as_dict()}
        self._base = s.base_url.rstrip("/")
        self._pool = WorkerPool(s.concurrency, "snap-charge")
        self._token_lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # the B2B access token and when to renew it

    def close(self) -> None:
        self._pool.shutdown()
        self._http.close()

    # -- HTTP ----------------------------------------------------------------------------------

    def _access_token(self, stale: str | None = None) -> str | None:
        """The B2B access token (one for all threads); None when the provider did not answer."""
        with self._token_lock:
            held = self._token
            if held is not None and held[0] != stale and held[1] > time.monotonic():
                return held[0]
            if self._key is None:
                raise GatewayError("BILLING_SNAP_PRIVATE_KEY_PATH is not set: no access token can be requested")
            s = self.settings
            stamp = wire.timestamp()
            headers = {
                "Content-Type": "application/json",
                "X-TIMESTAMP": stamp,
                "X-CLIENT-KEY": s.client_id,
                "X-SIGNATURE": signing.sign_token(self._key, s.client_id, stamp),
            }
            url = self._base + s.path_prefix + TOKEN_PATH
            try:
                response = self._http.post(
                    url, content=wire.minify({"grantType": "client_credentials"}), headers=headers
                )
            except httpx.TransportError:
                return None
            reply = Reply(response.status_code, _json(response))
            token = reply.body.get("accessToken")
            if reply.status != 200 or not isinstance(token, str) or not token:
                raise SnapApiError(reply, "issue a B2B access token (check the client id and the private key)")
            try:
                lifetime = float(reply.body.get("expiresIn") or 900)
            except (TypeError, ValueError):
                lifetime = 900.0
            self._token = (token, time.monotonic() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2))
            return token

    def _send(self, path: str, body: Mapping[str, Any], retry_unknown: bool = True) -> Reply | None:
        """POST a signed request; the final answer (any status), or None when none came. Throttling,
        a reused ``X-EXTERNAL-ID``, errors and timeouts are sent again, the body unchanged (the same
        ``partnerReferenceNo``); a refused token is renewed once."""
        s = self.settings
        full = s.path_prefix + path
        url = httpx.URL(self._base + full)
        content = wire.minify(body)
        stale: str | None = None
        renewed = False
        n = 0
        while True:
            reply: Reply | None = None
            token = self._access_token(stale)
            if token is not None:
                stamp = wire.timestamp()
                headers = [
                    (b"Content-Type", b"application/json"),
                    (b"Authorization", b"Bearer " + token.encode()),
                    (b"X-TIMESTAMP", stamp.encode()),
                    (
                        b"X-SIGNATURE",
                        signing.sign_transaction(self._secret, "POST", full, token, content, stamp).encode(),
                    ),
                    (b"X-PARTNER-ID", s.client_id.encode()),
                    (b"X-EXTERNAL-ID", wire.external_id().encode()),
                    (b"CHANNEL-ID", s.channel_id.encode()),
                ]
                if self._clock is not None:
                    headers.append((CLOCK_HEADER.encode(), self._clock().isoformat().encode()))
                request = httpx.Request("POST", url, content=content, headers=headers, extensions=self._timeout)
                try:
                    response = self._http.send(request)
                except httpx.TransportError:
                    pass
                else:
                    reply = Reply(response.status_code, _json(response))
            if reply is not None:
                verdict = reply.case.verdict
                if verdict is Verdict.token and not renewed:
                    stale, renewed = token, True
                    continue
                again = verdict in _RETRY or (retry_unknown and verdict is Verdict.unknown and reply.status >= 500)
                if not again or n >= s.max_retries:
                    return reply
            elif n >= s.max_retries:
                return None
            self._sleep(self._backoff(n))
            n += 1

    def _backoff(self, n: int) -> float:
        s = self.settings
        return min(s.backoff_max_s, s.backoff_base_s * 2**n) * random.uniform(0.5, 1.0)

    def _merchant(self) -> dict[str, str]:
        return {"merchantId": self.settings.merchant_id} if self.settings.merchant_id else {}

    # -- charges -------------------------------------------------------------------------------

    def create_customer(self, reference: str, name: str) -> str:
        """SNAP has no customer object: the binding request carries our reference."""
        return f"snap-{reference}"

    def attach_payment_method(self, customer: str, payment_method: str) -> str:
        """A SNAP payment method is the binding's ``bankCardToken``: charged as it is."""
        return payment_method

    def charge(self, req: ChargeRequest) -> ChargeResult:
        body = {
            "partnerReferenceNo": req.idempotency_key,
            "bankCardToken": req.payment_method,
            **self._merchant(),
            "amount": wire.amount(req.amount, req.currency),
            "additionalInfo": dict(req.metadata),
        }
        reply = self._send(PAYMENT_PATH, body)
        if reply is None:
            return results.NO_ANSWER
        result, case = results.of_payment(reply.status, reply.body)
        if case.verdict is Verdict.duplicate:
            return self._duplicate(req)
        if case.verdict in (Verdict.token, Verdict.unauthorized):
            raise SnapApiError(reply, "take a payment (check the client id, secret and keys)")
        return result

    def _duplicate(self, req: ChargeRequest) -> ChargeResult:
        """``partnerReferenceNo`` used before: what became of it, provided it was this payment."""
        reply = self._send(STATUS_PATH, self._inquiry(key=req.idempotency_key))
        if reply is None or reply.status != 200:
            return results.NO_ANSWER
        try:
            amount, currency = wire.rupiah(reply.body.get("amount") or reply.body.get("transAmount"))
        except ValueError:
            amount, currency = req.amount, req.currency
        if (amount, currency) != (req.amount, req.currency.upper()):
            raise IdempotencyMismatch(
                f"partnerReferenceNo {req.idempotency_key!r} was first used for {amount} {currency}, "
                f"now for {req.amount} {req.currency}"
            )
        return results.of_status(reply.body) or results.NO_ANSWER

    def charge_many(self, reqs: Sequence[ChargeRequest]) -> list[ChargeResult]:
        """Up to ``concurrency`` payments in flight at once; results in the order of ``reqs``."""
        if len(reqs) < 2:
            return [self.charge(r) for r in reqs]
        return self._pool.map(self.charge, reqs)

    def _inquiry(self, key: str | None = None, reference: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if key is not None:
            body["originalPartnerReferenceNo"] = key
        if reference is not None:
            body["originalReferenceNo"] = reference
        return {**body, "serviceCode": self.settings.payment_service_code, **self._merchant()}

    def lookup(self, idempotency_key: str, metadata: Mapping[str, str] | None = None) -> ChargeResult | None:
        """The status inquiry by our reference: None only when the provider answers that it has no
        such transaction (a same-reference replay cannot then take the money twice)."""
        reply = self._send(STATUS_PATH, self._inquiry(key=idempotency_key))
        if reply is None:
            return results.NO_ANSWER
        verdict = reply.case.verdict
        if verdict is Verdict.not_found:
            return None
        if verdict in (Verdict.token, Verdict.unauthorized):
            raise SnapApiError(reply, "answer a status inquiry")
        if reply.status != 200:
            return results.NO_ANSWER  # cannot tell: the caller replays the same reference
        return results.of_status(reply.body)

    def retrieve(self, reference: str) -> GatewayCharge | None:
        reply = self._send(STATUS_PATH, self._inquiry(reference=reference))
        if reply is not None and reply.case.verdict is Verdict.not_found:
            return None
        if reply is None or reply.status != 200:
            raise _refused(reply, f"answer a status inquiry about {reference}")
        return _charge(reply.body, reference)

    def refund(self, req: RefundRequest) -> RefundResult:
        body = {
            **self._merchant(),
            "originalReferenceNo": req.charge_reference,
            "partnerRefundNo": req.idempotency_key,
            "refundAmount": wire.amount(req.amount, req.currency),
            "reason": "Pengembalian iuran / Contribution refund",
        }
        reply = self._send(REFUND_PATH, body)
        if reply is None:
            return RefundResult(RefundStatus.pending, None, "no answer from the SNAP provider")
        verdict = reply.case.verdict
        if verdict is Verdict.success and reply.status == 200:
            ref = reply.body.get("refundNo")
            return RefundResult(RefundStatus.succeeded, ref if isinstance(ref, str) else None)
        if verdict is Verdict.duplicate:
            raise IdempotencyMismatch(f"partnerRefundNo {req.idempotency_key!r} was first used for another refund")
        if verdict in (Verdict.token, Verdict.unauthorized):
            raise SnapApiError(reply, "refund")
        if verdict in (Verdict.unknown, Verdict.transient, Verdict.success):
            return RefundResult(RefundStatus.pending, None, str(reply.body.get("responseMessage", "")))
        return RefundResult(RefundStatus.failed, None, f"{reply.code}: {reply.body.get('responseMessage', '')}")

    # -- the provider's records (not SNAP: the simulator's list; see README) ---------------------

    def _records(self, kind: str, charge_reference: str | None = None) -> Iterator[dict[str, Any]]:
        path = self.settings.records_path
        if path is None:
            raise GatewayError("this SNAP provider lists no transactions: reconcile with its settlement file")
        cursor = 0
        while True:
            body: dict[str, Any] = {"kind": kind, "cursor": cursor, "limit": PAGE}
            if charge_reference is not None:
                body["originalReferenceNo"] = charge_reference
            reply = self._send(path, body)
            if reply is None or reply.status != 200:
                raise _refused(reply, f"list its {kind}")
            items = reply.body.get("items") or []
            yield from items
            following = reply.body.get("nextCursor")
            if not isinstance(following, int) or not items:
                return
            cursor = following

    def charges(self) -> Iterator[GatewayCharge]:
        for item in self._records("charges"):
            charge = _charge(item, str(item.get("originalReferenceNo", "")))
            if charge.result.status is ChargeStatus.succeeded:
                yield charge

    def reversals(self, charge_reference: str | None = None) -> Iterator[GatewayReversal]:
        for item in self._records("refunds", charge_reference):
            amount, _ = wire.rupiah(item["refundAmount"])
            key = item.get("partnerRefundNo")
            yield GatewayReversal(
                str(item["refundNo"]),
                str(item["originalReferenceNo"]),
                ReversalKind(item.get("kind", "refund")),
                amount,
                key if isinstance(key, str) else None,
            )

    # -- notify callbacks ----------------------------------------------------------------------

    def parse_notify(self, payload: bytes, headers: Mapping[str, str], path: str) -> WebhookEvent:
        """A verified notify callback received at ``path`` (the signature covers it)."""
        return notify.parse(payload, headers, path, self._provider_key, self.settings.notify_tolerance_s)

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        return self.parse_notify(payload, headers, self.settings.notify_path)

    # -- binding -------------------------------------------------------------------------------

    def start_setup(self, req: SetupRequest) -> SetupResult:
        """Account binding (``registration-account-binding``): the provider answers with the page where
        the account holder confirms with the OTP their bank sends them (``redirectUrl``)."""
        body = {
            "partnerReferenceNo": req.idempotency_key,
            **self._merchant(),
            "redirectUrl": req.return_url,
            "additionalInfo": {
                "customerId": req.customer,
                "channel": req.channel,
                "provider": req.provider,
                "maxAmount": wire.amount(req.max_amount),
                "debitDay": str(req.debit_day),
                **req.metadata,
            },
        }
        reply = self._send(BINDING_PATH, body, retry_unknown=False)
        if reply is None or reply.status != 200:
            raise _refused(reply, "start an account binding")
        reference, url = reply.body.get("referenceNo"), reply.body.get("redirectUrl")
        if not isinstance(reference, str) or not isinstance(url, str):
            raise SnapApiError(reply, "start an account binding (no referenceNo or redirectUrl)")
        return SetupResult(reference, SetupStatus.requires_action, next_action_url=url)

    def retrieve_setup(self, reference: str) -> SetupResult | None:
        reply = self._send(BINDING_INQUIRY_PATH, {**self._merchant(), "originalReferenceNo": reference})
        if reply is not None and reply.case.verdict is Verdict.not_found:
            return None
        if reply is None or reply.status != 200:
            raise _refused(reply, f"answer an account binding inquiry about {reference}")
        info = reply.body.get("additionalInfo") or {}
        state = info.get("bindingStatus")
        if state == "SUCCESS" and isinstance(token := reply.body.get("bankCardToken"), str) and token:
            display = info.get("accountDisplay")
            return SetupResult(reference, SetupStatus.succeeded, payment_method=token, display=display)
        if state == "PENDING":
            return SetupResult(reference, SetupStatus.requires_action, next_action_url=reply.body.get("redirectUrl"))
        reason = info.get("failureReason")
        return SetupResult(reference, SetupStatus.failed, failure_code=str(reason or state or "failed"))

    def unbind(self, payment_method: str) -> None:
        """Account unbinding (``registration-account-unbinding``): the provider forgets the token, so
        no debit can use it again. An unknown token counts as unbound."""
        digest = hashlib.blake2b(payment_method.encode(), digest_size=12).hexdigest()
        body = {"partnerReferenceNo": f"unbind-{digest}", **self._merchant(), "bankCardToken": payment_method}
        reply = self._send(UNBINDING_PATH, body)
        if reply is not None and reply.status == 200:
            return
        if reply is not None and reply.case.failure in (FailureCode.invalid_account, FailureCode.mandate_revoked):
            return
        raise _refused(reply, "unbind an account")


def _charge(body: dict[str, Any], reference: str) -> GatewayCharge:
    """A transaction as a status inquiry (or the list of transactions) reports it."""
    result = results.of_status(body) or ChargeResult(ChargeStatus.unknown)
    amount, currency = wire.rupiah(body.get("amount") or body.get("transAmount"))
    key = body.get("originalPartnerReferenceNo")
    ref = body.get("originalReferenceNo") or reference
    return GatewayCharge(
        str(ref), key if isinstance(key, str) else None, amount, currency, result, wire.day_of(body.get("paidTime"))
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
