"""The part of Stripe's API that the Stripe adapter uses, answered by the simulated bank.

Pure request handling, no I/O: ``app.py`` puts it on HTTP. Idempotency works as Stripe's: a POST's
``Idempotency-Key`` stores the first answer, a replay with the same parameters gets it back (with
``Idempotent-Replayed: true``), a replay with other parameters is a 400 ``idempotency_error``.
Unlike Stripe, answers that the bank never processed (injected 429s, 5xx outages and timeouts before
the charge) are not stored, so a same-key retry goes through, as with the bank simulator itself."""

import re
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from billing.gateways.base import ChargeRequest, ChargeStatus, IdempotencyMismatch, RefundStatus, ReversalKind
from billing.gateways.simulator import codes as snap
from billing.gateways.simulator.bank import Bank
from billing.gateways.simulator.stripe_face import objects
from billing.gateways.stripe import wire
from billing.gateways.stripe.intents import KEY_FIELD

# The debit engine's simulated day, when the adapter forwards it (``X-Simulated-Date``).
simulated_day: ContextVar[date | None] = ContextVar("simulated_day", default=None)

_CLAUSE = re.compile(r"metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'")
# Test payment methods that debit like a bank: accepted as ``processing``, settled by ``finish`` (or
# after ``processing_s`` on HTTP), whatever the face's own ``processing_s``.
PROCESSING_METHODS = frozenset({"sim_processing_ok"})
_RATE_LIMITED, _SERVER_ERROR = snap.RATE_LIMITED.code, snap.SERVER_ERROR.code


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # a "timeout": the answer is held back longer than a client waits
    events: list[dict[str, Any]] = field(default_factory=list)  # to deliver once answered
    settle: str | None = None  # a processing intent to finish later
    store: bool = True  # kept for replays of its idempotency key


# Refusals before anything ran are not stored under the key, like Stripe's validation failures.
def _not_found(kind: str, ident: str, param: str) -> Answer:
    error = objects.error("invalid_request_error", f"No such {kind}: '{ident}'", code="resource_missing", param=param)
    return Answer(404, error, store=False)


def _invalid(message: str, param: str, code: str = "parameter_invalid") -> Answer:
    return Answer(400, objects.error("invalid_request_error", message, code=code, param=param), store=False)


class StripeFace:
    def __init__(
        self,
        bank: Bank,
        *,
        processing_s: float = 0.0,
        retry_after_s: int = 1,
        timezone: str = "Asia/Jakarta",
        now: Callable[[], float] = time.time,
    ) -> None:
        self.bank = bank
        self.processing_s = processing_s
        self.retry_after_s = retry_after_s
        self.tz = ZoneInfo(timezone)
        self.now = now
        self.throttle_next = 0  # the next N requests get a 429 with Retry-After (for tests)
        self.requests = 0
        self.posts: Counter[str] = Counter()  # POSTs per Idempotency-Key
        self.customers: dict[str, dict[str, Any]] = {}
        self.payment_methods: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self._finals: dict[str, tuple[dict[str, Any], str]] = {}  # processing intent → final state, event
        self._stored: dict[str, tuple[tuple[str, bytes], Answer]] = {}
        self._bank_key: dict[str, str] = {}  # intent id → the bank's key of its charge
        self.refunds: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}

    # -- entry points ----------------------------------------------------------------------------

    def post(self, path: str, body: bytes, key: str | None) -> Answer:
        self.requests += 1
        if key is not None:
            self.posts[key] += 1
        if throttled := self._throttled():
            return throttled
        try:
            params = wire.decode(body)
        except (ValueError, UnicodeDecodeError):
            return _invalid("Invalid form body", "body")
        fingerprint = (path, b"&".join(sorted(body.split(b"&"))))
        if key is not None and key in self._stored:
            first, answer = self._stored[key]
            if first != fingerprint:
                return Answer(
                    400,
                    objects.error(
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters they were first used "
                        f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                    ),
                    store=False,
                )
            return Answer(answer.status, answer.body, {**answer.headers, "Idempotent-Replayed": "true"})
        answer = self._dispatch(path, params, key)
        if key is not None and answer.store:
            self._stored[key] = (fingerprint, answer)
        return answer

    def get(self, path: str, query: dict[str, str]) -> Answer:
        self.requests += 1
        if throttled := self._throttled():
            return throttled
        if path == "/v1/payment_intents/search":
            return self._search(query.get("query", ""))
        lists = {"/v1/payment_intents": self.intents, "/v1/refunds": self.refunds, "/v1/disputes": self.disputes}
        if path in lists:
            try:
                limit = min(max(int(query.get("limit", "10")), 1), 100)
            except ValueError:
                return _invalid("Invalid integer", "limit", "parameter_invalid_integer")
            found = list(lists[path].values())
            if "payment_intent" in query:
                found = [o for o in found if o.get("payment_intent", o.get("id")) == query["payment_intent"]]
            return Answer(200, objects.page(found, path, limit, query.get("starting_after")))
        if (m := re.fullmatch(r"/v1/payment_intents/([^/]+)", path)) and m.group(1) in self.intents:
            return Answer(200, self.intents[m.group(1)])
        if m:
            return _not_found("payment_intent", m.group(1), "intent")
        return Answer(404, objects.error("invalid_request_error", f"Unrecognized request URL (GET: {path})"))

    def cancel(self, pi_id: str) -> dict[str, Any]:
        """A processing debit the bank gave up on: the intent is canceled; returns the event."""
        self._finals.pop(pi_id)
        canceled = {**self.intents[pi_id], "status": "canceled", "cancellation_reason": "failed_invoice"}
        self.intents[pi_id] = canceled
        return objects.event(
            "payment_intent.canceled", canceled, canceled["created"], canceled["metadata"].get(KEY_FIELD)
        )

    def complete(self, pi_id: str) -> dict[str, Any]:
        """A declined intent the payer completed later (an OTP, a top-up): the money moves now, under
        the intent's own key; returns the ``payment_intent.succeeded`` event."""
        intent = self.intents[pi_id]
        rupiah = wire.from_minor(intent["amount"], intent["currency"])
        later = ChargeRequest(
            amount=rupiah,
            currency=intent["currency"].upper(),
            payment_method="sim_ok",
            idempotency_key=self._bank_key[pi_id] + ":completed",
        )
        if not self.bank.charge(later).succeeded:
            raise ValueError(f"{pi_id} could not be completed")
        self._bank_key[pi_id] = later.idempotency_key
        done = {**intent, "status": "succeeded", "amount_received": intent["amount"], "last_payment_error": None}
        self.intents[pi_id] = done
        return objects.event("payment_intent.succeeded", done, self._created(), done["metadata"].get(KEY_FIELD))

    def refund_outside(self, pi_id: str, rupiah: int) -> list[dict[str, Any]]:
        """A refund made at the gateway (its dashboard), not asked for by the service; returns its events."""
        answer = self._refund({"payment_intent": pi_id, "amount": str(wire.to_minor(rupiah, "idr"))}, None)
        if answer.status != 200:
            raise ValueError(answer.body)
        return answer.events

    def dispute(self, pi_id: str) -> dict[str, Any]:
        """The payer's bank disputes a charge: its whole amount is taken back; returns the event."""
        intent = self.intents[pi_id]
        dp_id = objects.object_id("dp_", f"{pi_id}:{len(self.disputes)}")
        rupiah = wire.from_minor(intent["amount"], intent["currency"])
        self.bank.reverse(self._bank_key[pi_id], rupiah, dp_id, ReversalKind.chargeback)
        dispute = objects.dispute(dp_id, intent, intent["amount"], "needs_response", self._created())
        self.disputes[dp_id] = dispute
        return objects.event("charge.dispute.created", dispute, dispute["created"], None)

    def close_dispute(self, dp_id: str, won: bool) -> dict[str, Any]:
        dispute = {**self.disputes[dp_id], "status": "won" if won else "lost"}
        self.disputes[dp_id] = dispute
        if won:
            pi_id = dispute["payment_intent"]
            rupiah = wire.from_minor(dispute["amount"], dispute["currency"])
            self.bank.reverse(self._bank_key[pi_id], rupiah, dp_id + ":won", ReversalKind.chargeback_reversed)
        return objects.event("charge.dispute.closed", dispute, self._created(), None)

    def finish(self, pi_id: str) -> dict[str, Any]:
        """Settles a processing intent; returns the event announcing how it ended."""
        final, event_type = self._finals.pop(pi_id)
        self.intents[pi_id] = final
        # Dated like the charge: a debit of a simulated day settles on that day.
        return objects.event(event_type, final, final["created"], final["metadata"].get(KEY_FIELD))

    # -- handlers ----------------------------------------------------------------------------------

    def _throttled(self) -> Answer | None:
        if self.throttle_next <= 0:
            return None
        self.throttle_next -= 1
        return self._rate_limited()

    def _rate_limited(self) -> Answer:
        return Answer(
            429,
            objects.error("invalid_request_error", "Too many requests hit the API too quickly.", code="rate_limit"),
            {"Retry-After": str(self.retry_after_s), "Stripe-Should-Retry": "true"},
            store=False,
        )

    def _dispatch(self, path: str, params: dict[str, Any], key: str | None) -> Answer:
        if path == "/v1/customers":
            return self._customer(params, key)
        if m := re.fullmatch(r"/v1/payment_methods/([^/]+)/attach", path):
            return self._attach(m.group(1), params)
        if path == "/v1/payment_intents":
            return self._payment_intent(params, key)
        if path == "/v1/refunds":
            return self._refund(params, key)
        return Answer(404, objects.error("invalid_request_error", f"Unrecognized request URL (POST: {path})"))

    def _customer(self, params: dict[str, Any], key: str | None) -> Answer:
        cus_id = objects.object_id("cus_", key or f"{self.now()}:{len(self.customers)}")
        customer = {
            "id": cus_id,
            "object": "customer",
            "name": params.get("name"),
            "email": params.get("email"),
            "metadata": dict(params.get("metadata") or {}),
            "created": int(self.now()),
            "livemode": False,
        }
        self.customers[cus_id] = customer
        return Answer(200, customer)

    def _attach(self, pm_id: str, params: dict[str, Any]) -> Answer:
        customer = params.get("customer")
        if not isinstance(customer, str) or customer not in self.customers:
            return _not_found("customer", str(customer), "customer")
        if self.bank.account(pm_id) is None:
            return _not_found("PaymentMethod", pm_id, "payment_method")
        pm = {
            "id": pm_id,
            "object": "payment_method",
            "type": "sim_bank_debit",
            "customer": customer,
            "livemode": False,
        }
        self.payment_methods[pm_id] = pm
        return Answer(200, pm)

    def _payment_intent(self, params: dict[str, Any], key: str | None) -> Answer:
        amount = params.get("amount", "")
        currency = str(params.get("currency", "")).lower()
        pm = params.get("payment_method")
        if not (isinstance(amount, str) and amount.isdigit() and int(amount) > 0):
            return _invalid("Invalid positive integer", "amount", "parameter_invalid_integer")
        if not currency:
            return _invalid("Missing required param: currency.", "currency", "parameter_missing")
        if not isinstance(pm, str) or not pm:
            return _invalid("Missing required param: payment_method.", "payment_method", "parameter_missing")
        if params.get("confirm") != "true":
            return _invalid("This simulator only creates and confirms at once: send confirm=true.", "confirm")
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            return _not_found("customer", str(customer), "customer")
        try:
            rupiah = wire.from_minor(int(amount), currency)
        except ValueError:
            return _invalid("IDR amounts must be whole rupiah (a multiple of 100).", "amount", "amount_invalid")
        bank_key = key or objects.object_id("req_", f"{self.now()}:{len(self.intents)}")
        metadata = {k: str(v) for k, v in (params.get("metadata") or {}).items()}
        request = ChargeRequest(
            amount=rupiah, currency=currency.upper(), payment_method=pm, idempotency_key=bank_key, metadata=metadata
        )
        try:
            result = self.bank.charge(request)
        except IdempotencyMismatch as exc:
            return Answer(400, objects.error("idempotency_error", str(exc)), store=False)
        stall = result.status is ChargeStatus.unknown
        if stall:
            recorded = self.bank.lookup(bank_key)
            if recorded is None:  # timed out before the charge: nothing happened, nothing is stored
                return Answer(500, objects.error("api_error", "Request timed out."), stall=True, store=False)
            result = recorded  # timed out after the charge: the intent exists, only the answer is lost
        if result.raw_code == _RATE_LIMITED:
            return self._rate_limited()
        if result.raw_code == _SERVER_ERROR:
            return Answer(500, objects.error("api_error", "An unknown error occurred (simulated outage)."), store=False)
        pi_id = objects.object_id("pi_", bank_key)
        self._bank_key[pi_id] = bank_key
        answer = self._intent_answer(pi_id, params, result, key)
        answer.stall = stall
        return answer

    def _intent_answer(self, pi_id: str, params: dict[str, Any], result: Any, key: str | None) -> Answer:
        created = self._created()
        ok = result.status is ChargeStatus.succeeded
        last_error = None if ok else objects.decline(result)
        final = objects.intent(pi_id, params, "succeeded" if ok else "requires_payment_method", created, last_error)
        final_type = "payment_intent.succeeded" if ok else "payment_intent.payment_failed"
        if self.processing_s > 0 or params["payment_method"] in PROCESSING_METHODS:  # a bank debit: settled later
            pending = objects.intent(pi_id, params, "processing", created)
            self.intents[pi_id] = pending
            self._finals[pi_id] = (final, final_type)
            return Answer(
                200, pending, events=[objects.event("payment_intent.processing", pending, created, key)], settle=pi_id
            )
        self.intents[pi_id] = final
        events = [objects.event(final_type, final, created, key)]
        if ok:
            return Answer(200, final, events=events)
        err = {**last_error, "payment_intent": final, "charge": final["latest_charge"]}
        return Answer(402, {"error": err}, events=events)

    def _refund(self, params: dict[str, Any], key: str | None) -> Answer:
        pi_id = params.get("payment_intent")
        intent = self.intents.get(pi_id) if isinstance(pi_id, str) else None
        if intent is None:
            return _not_found("payment_intent", str(pi_id), "payment_intent")
        if intent["status"] != "succeeded":
            return _invalid("This PaymentIntent does not have a successful charge to refund.", "payment_intent")
        amount = params.get("amount", str(intent["amount"]))
        if not (isinstance(amount, str) and amount.isdigit() and int(amount) > 0):
            return _invalid("Invalid positive integer", "amount", "parameter_invalid_integer")
        try:
            rupiah = wire.from_minor(int(amount), intent["currency"])
        except ValueError:
            return _invalid("IDR amounts must be whole rupiah (a multiple of 100).", "amount", "amount_invalid")
        refund_key = key or objects.object_id("rk_", f"{pi_id}:{len(self.refunds)}:{self.now()}")
        re_id = objects.object_id("re_", refund_key)
        try:
            done = self.bank.reverse(self._bank_key[pi_id], rupiah, refund_key, ReversalKind.refund)
        except IdempotencyMismatch as exc:
            return Answer(400, objects.error("idempotency_error", str(exc)), store=False)
        if done.status is not RefundStatus.succeeded:
            message = f"Refund amount ({amount}) is greater than the unrefunded amount on the charge."
            return Answer(400, objects.error("invalid_request_error", message, code="amount_too_large"), store=False)
        metadata_key = (params.get("metadata") or {}).get(KEY_FIELD)
        refund = objects.refund(re_id, intent, int(amount), "succeeded", self._created(), metadata_key)
        self.refunds[re_id] = refund
        refunded = sum(r["amount"] for r in self.refunds.values() if r["payment_intent"] == pi_id)
        events = [
            objects.event("refund.created", refund, refund["created"], key),
            objects.event("charge.refunded", objects.charge(intent, refunded), refund["created"], key, re_id),
        ]
        return Answer(200, refund, events=events)

    def _search(self, query: str) -> Answer:
        clauses = [c.strip() for c in query.split(" AND ")]
        wanted = []
        for clause in clauses:
            m = _CLAUSE.fullmatch(clause)
            if m is None:
                return _invalid("This simulator searches only metadata['key']:'value' clauses joined by AND.", "query")
            wanted.append((m.group(1), re.sub(r"\\(.)", r"\1", m.group(2))))
        found = [pi for pi in self.intents.values() if all(pi["metadata"].get(k) == v for k, v in wanted)]
        body = {"object": "search_result", "url": "/v1/payment_intents/search", "has_more": False, "next_page": None}
        return Answer(200, {**body, "data": found})

    def _created(self) -> int:
        """Now, or noon of the simulated day when the debit engine runs another day than today."""
        day = simulated_day.get()
        now = self.now()
        if day is None or day == datetime.fromtimestamp(now, self.tz).date():
            return int(now)
        return int(datetime.combine(day, clock_time(12), self.tz).timestamp())
