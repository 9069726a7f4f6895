"""The Stripe adapter: PaymentIntents and Refunds over Stripe's REST API, with httpx.

Every POST carries an ``Idempotency-Key`` (a charge's is the debit attempt's key, a refund's the
refund's), so a retry can never charge or refund twice: 429s, 5xx, 409s (the same key still in flight)
and network errors are retried with the SAME key, with exponential backoff and jitter, honouring
``Retry-After`` and Stripe's ``Stripe-Should-Retry``. A charge that got no answer is ``unknown``.
``lookup`` and ``retrieve`` only read (the intent by its id, or a search by the key kept in its
metadata); whether to send the same request again, within Stripe's 24 hours of idempotency, is the
debit engine's decision. Never a new charge."""

import json
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from billing.gateways.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayCharge,
    GatewayError,
    GatewayReversal,
    IdempotencyMismatch,
    MalformedWebhook,
    RefundRequest,
    RefundResult,
    RefundStatus,
    SetupRequest,
    SetupResult,
    UnknownPaymentMethod,
    WebhookEvent,
)
from billing.gateways.failures import FailureCode
from billing.gateways.stripe import intents, setups, signature, wire
from billing.gateways.stripe.codes import failure_code, raw_code
from billing.gateways.stripe.pool import WorkerPool
from billing.gateways.stripe.settings import StripeSettings
from billing.gateways.stripe.transport import PooledTransport

CLOCK_HEADER = "X-Simulated-Date"
REMEMBERED = 100_000  # processing intents whose id ``lookup`` reads instead of searching
PAGE = 100  # Stripe's largest list page

_RETRY_STATUS = frozenset({409, 429, 500, 502, 503, 504})
_NO_ANSWER = ChargeResult(ChargeStatus.unknown, FailureCode.gateway_error, None, "timeout", "no answer from Stripe")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]

    @property
    def error(self) -> dict[str, Any]:
        err = self.body.get("error")
        return err if isinstance(err, dict) else {}


class StripeApiError(GatewayError):
    def __init__(self, reply: Reply, what: str) -> None:
        super().__init__(f"Stripe refused to {what}: HTTP {reply.status} {raw_code(reply.error)}")
        self.reply = reply


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        settings: StripeSettings,
        clock: Callable[[], date] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        s = settings
        self._clock = clock if s.forward_clock else None
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=s.base_url,
            transport=transport or PooledTransport(max_connections=s.concurrency),
            timeout=httpx.Timeout(s.read_timeout_s, connect=s.connect_timeout_s),
            headers={"Authorization": f"Bearer {s.api_key}", "Stripe-Version": s.api_version},
        )
        # Requests are built here rather than by ``build_request``, whose merging of URLs and headers
        # costs a tenth of a millisecond of CPU per charge: a tenth of the budget at 1,000 charges/s.
        self._base = s.base_url.rstrip("/")
        self._headers = [(k.encode(), v.encode()) for k, v in self._http.headers.multi_items()]
        self._timeout = {"timeout": self._http.timeout.as_dict()}
        self._charge_url = httpx.URL(self._base + "/v1/payment_intents")  # parsed once: every charge posts here
        self._pool = WorkerPool(s.concurrency, "stripe-charge")
        self._lock = threading.Lock()
        self._processing: OrderedDict[str, str] = OrderedDict()  # key → its PaymentIntent id

    def close(self) -> None:
        self._pool.shutdown()
        self._http.close()

    # -- HTTP with retries ---------------------------------------------------------------------

    def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, key: str | None = None
    ) -> Reply | None:
        """The final answer (any status), or None when no answer came (timeouts, network errors)."""
        headers = list(self._headers)
        if key:
            headers.append((b"Idempotency-Key", key.encode()))
        if self._clock is not None:
            headers.append((CLOCK_HEADER.encode(), self._clock().isoformat().encode()))
        body = wire.encode(params or {})
        url = self._charge_url if path == "/v1/payment_intents" else httpx.URL(self._base + path)
        if method == "POST":
            headers.append((b"Content-Type", b"application/x-www-form-urlencoded"))
            request = httpx.Request(method, url, content=body, headers=headers, extensions=self._timeout)
        else:
            request = httpx.Request(method, url, params=body.decode(), headers=headers, extensions=self._timeout)
        retries = self.settings.max_retries
        n = 0
        while True:
            try:
                response = self._http.send(request)
            except httpx.TransportError:
                if n >= retries:
                    return None
                delay = self._backoff(n)
            else:
                reply = Reply(response.status_code, _json(response))
                if reply.status == 200 or n >= retries or (delay := self._retry_delay(response, n)) is None:
                    return reply
            self._sleep(delay)
            n += 1

    def _retry_delay(self, response: httpx.Response, n: int) -> float | None:
        should = response.headers.get("Stripe-Should-Retry")
        if should == "false" or (should != "true" and response.status_code not in _RETRY_STATUS):
            return None
        after = response.headers.get("Retry-After")
        if after is not None:
            try:
                seconds = float(after)
            except ValueError:
                seconds = None
            if seconds is not None:
                return seconds if seconds <= self.settings.max_retry_after_s else None
        return self._backoff(n)

    def _backoff(self, n: int) -> float:
        s = self.settings
        return min(s.backoff_max_s, s.backoff_base_s * 2**n) * random.uniform(0.5, 1.0)

    # -- Gateway -------------------------------------------------------------------------------

    def create_customer(self, reference: str, name: str) -> str:
        reply = self._send(
            "POST", "/v1/customers", {"name": name, "metadata": {"reference": reference}}, key=f"customer-{reference}"
        )
        if reply is None or reply.status != 200:
            raise _refused(reply, "create a customer")
        return str(reply.body["id"])

    def attach_payment_method(self, customer: str, payment_method: str) -> str:
        """Returns ``customer:payment_method``: an attached method is charged with its customer."""
        path = f"/v1/payment_methods/{payment_method}/attach"
        reply = self._send("POST", path, {"customer": customer}, key=f"attach-{customer}-{payment_method}")
        if reply is not None and reply.status == 404:
            raise UnknownPaymentMethod(f"Stripe has no payment method {payment_method!r}")
        if reply is None or reply.status != 200:
            raise _refused(reply, "attach a payment method")
        return f"{customer}:{payment_method}"

    def charge(self, req: ChargeRequest) -> ChargeResult:
        customer, _, payment_method = req.payment_method.rpartition(":")
        currency = req.currency.lower()
        params: dict[str, Any] = {
            "amount": wire.to_minor(req.amount, currency),
            "currency": currency,
            "payment_method": payment_method,
            "confirm": True,
            "off_session": True,
            "metadata": {**req.metadata, intents.KEY_FIELD: req.idempotency_key},
        }
        if customer:
            params["customer"] = customer
        return self._charge(req.idempotency_key, params)

    def _charge(self, key: str, params: dict[str, Any]) -> ChargeResult:
        reply = self._send("POST", "/v1/payment_intents", params, key=key)
        result = _NO_ANSWER if reply is None else _charge_result(reply)
        with self._lock:
            if result.status is ChargeStatus.unknown and result.gateway_reference is not None:
                _remember(self._processing, key, result.gateway_reference)
            else:
                self._processing.pop(key, None)
        return result

    def charge_many(self, reqs: Sequence[ChargeRequest]) -> list[ChargeResult]:
        """Up to ``concurrency`` charges in flight at once; results in the order of ``reqs``."""
        if len(reqs) < 2:
            return [self.charge(r) for r in reqs]
        return self._pool.map(self.charge, reqs)

    def lookup(self, idempotency_key: str, metadata: Mapping[str, str] | None = None) -> ChargeResult | None:
        with self._lock:
            intent_id = self._processing.get(idempotency_key)
        if intent_id is not None:
            reply = self._send("GET", f"/v1/payment_intents/{intent_id}")
            if reply is not None and reply.status == 200:
                return intents.result_of_intent(reply.body)
        return self._search(idempotency_key)

    def retrieve(self, reference: str) -> GatewayCharge | None:
        reply = self._send("GET", f"/v1/payment_intents/{reference}")
        if reply is not None and reply.status == 404:
            return None
        if reply is None or reply.status != 200:
            raise _refused(reply, f"read PaymentIntent {reference}")
        return intents.charge_of_intent(reply.body)

    def refund(self, req: RefundRequest) -> RefundResult:
        currency = req.currency.lower()
        params = {
            "payment_intent": req.charge_reference,
            "amount": wire.to_minor(req.amount, currency),
            "metadata": {intents.KEY_FIELD: req.idempotency_key},
        }
        reply = self._send("POST", "/v1/refunds", params, key=req.idempotency_key)
        if reply is None or reply.status >= 500 or reply.status in (409, 429):
            return RefundResult(RefundStatus.pending, None, "no answer from Stripe")
        if reply.status != 200:
            return RefundResult(RefundStatus.failed, None, str(reply.error.get("message", reply.status)))
        return intents.refund_result(reply.body)

    def start_setup(self, req: SetupRequest) -> SetupResult:
        """Create the SetupIntent, then confirm it with the payer's method: ``requires_action`` carries
        the page where the payer confirms (``next_action.redirect_to_url``)."""
        confirm = setups.confirm_params(req)
        created = self._send(
            "POST",
            "/v1/setup_intents",
            setups.create_params(req, self.settings.setup_method_type),
            key=req.idempotency_key,
        )
        if created is None or created.status != 200:
            raise _refused(created, "create a SetupIntent")
        reference = str(created.body["id"])
        reply = self._send("POST", f"/v1/setup_intents/{reference}/confirm", confirm, key=f"{req.idempotency_key}-c")
        if reply is None or reply.status >= 500:
            raise _refused(reply, "confirm a SetupIntent")
        if reply.status != 200:  # declined: the intent tells why
            return self.retrieve_setup(reference) or setups.result({"id": reference, "status": "canceled"})
        return setups.result(reply.body)

    def retrieve_setup(self, reference: str) -> SetupResult | None:
        reply = self._send("GET", f"/v1/setup_intents/{reference}")
        if reply is not None and reply.status == 404:
            return None
        if reply is None or reply.status != 200:
            raise _refused(reply, f"read SetupIntent {reference}")
        return setups.result(reply.body)

    def _list(self, path: str, **filters: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": PAGE, **filters}
            if after:
                params["starting_after"] = after
            reply = self._send("GET", path, params)
            if reply is None or reply.status != 200:
                raise _refused(reply, f"list {path}")
            data = reply.body.get("data") or []
            yield from data
            if not reply.body.get("has_more") or not data:
                return
            after = data[-1]["id"]

    def charges(self) -> Iterator[GatewayCharge]:
        for intent in self._list("/v1/payment_intents"):
            if intent.get("status") == "succeeded":
                yield intents.charge_of_intent(intent)

    def reversals(self, charge_reference: str | None = None) -> Iterator[GatewayReversal]:
        filters = {"payment_intent": charge_reference} if charge_reference else {}
        for refund in self._list("/v1/refunds", **filters):
            if refund.get("status") in ("succeeded", "pending"):
                yield intents.reversal_of_refund(refund)
        for dispute in self._list("/v1/disputes", **filters):
            yield from intents.reversals_of_dispute(dispute)

    def _search(self, key: str) -> ChargeResult | None:
        escaped = key.replace("\\", "\\\\").replace("'", "\\'")
        reply = self._send(
            "GET", "/v1/payment_intents/search", {"query": f"metadata['{intents.KEY_FIELD}']:'{escaped}'"}
        )
        if reply is None or reply.status != 200:
            return _NO_ANSWER  # cannot tell: the caller replays the same key, which cannot charge twice
        found = reply.body.get("data") or []
        if not found:
            return None
        found.sort(key=lambda pi: (pi.get("status") == "succeeded", pi.get("created", 0)), reverse=True)
        return intents.result_of_intent(found[0])

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        return parse_webhook(payload, headers, self.settings.webhook_secrets, self.settings.webhook_tolerance_s)


def parse_webhook(
    payload: bytes, headers: Mapping[str, str], secrets: Sequence[str], tolerance_s: int, now: float | None = None
) -> WebhookEvent:
    """A verified Stripe event; ``InvalidWebhook`` for a bad, stale or missing signature,
    ``MalformedWebhook`` for a signed body that is not a Stripe event we can read."""
    signature.verify(payload, signature.header_of(headers), secrets, tolerance_s, now)
    try:
        return intents.webhook_event(json.loads(payload))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedWebhook(f"malformed webhook payload: {exc}") from exc


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _remember(store: OrderedDict[str, Any], key: str, value: Any) -> None:
    store[key] = value
    store.move_to_end(key)
    if len(store) > REMEMBERED:
        store.popitem(last=False)


def _refused(reply: Reply | None, what: str) -> GatewayError:
    return GatewayError(f"no answer from Stripe to {what}") if reply is None else StripeApiError(reply, what)


def _charge_result(reply: Reply) -> ChargeResult:
    status, err = reply.status, reply.error
    if status == 200:
        return intents.result_of_intent(reply.body)
    if err.get("type") == "idempotency_error" and status == 400:
        raise IdempotencyMismatch(f"Stripe refused a replay: {err.get('message', '')}")
    if status in (401, 403):
        raise StripeApiError(reply, "charge (check BILLING_STRIPE_API_KEY)")
    intent = err.get("payment_intent") if isinstance(err.get("payment_intent"), dict) else {}
    ref = intent.get("id") or err.get("charge")
    message = str(err.get("message", ""))
    if status == 429:
        return ChargeResult(ChargeStatus.failed, FailureCode.rate_limited, None, raw_code(err), message)
    if status >= 500 or status == 409:
        # Stripe may have created the intent before failing: the outcome is unknown, settle with the same key.
        return ChargeResult(ChargeStatus.unknown, FailureCode.gateway_error, ref, raw_code(err), message)
    return ChargeResult(ChargeStatus.failed, failure_code(err, status), ref, raw_code(err), message)
