"""The simulated bank: decides each charge from the account and the day, and keeps idempotency as
Stripe does.

- A key's first processed outcome is recorded; a replay returns it, failures included.
- A replay with another amount, currency or payment method raises ``IdempotencyMismatch`` (a caller
  bug, like Stripe's 400): nothing is charged and nothing is recorded.
- Transient rejections (gateway_error, rate_limited) and timeouts before the charge are NOT
  recorded, like Stripe's 429s: the bank never processed the charge, so the same key may be replayed.
- A timeout after the charge answers ``unknown`` but the outcome is recorded: ``lookup`` and a replay
  of the key return what really happened, and money moves at most once.
"""

import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

from billing.gateways.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    IdempotencyMismatch,
    RefundResult,
    RefundStatus,
    ReversalKind,
)
from billing.gateways.simulator.accounts import AccountSpec
from billing.gateways.simulator.codes import (
    BLOCKED,
    CLOSED,
    DORMANT,
    INSUFFICIENT,
    INVALID_ACCOUNT,
    LIMIT,
    NOT_PERMITTED,
    RATE_LIMITED,
    SERVER_ERROR,
    SUCCESS,
    TIMEOUT,
    TOKEN_REVOKED,
    SnapCase,
)
from billing.gateways.simulator.faults import Fault, FaultRates
from billing.gateways.simulator.population import parse_population_token
from billing.gateways.simulator.store import ChargeRecord, ReversalRecord, Store
from billing.gateways.simulator.testmethods import TEST_METHODS

CURRENCY = "IDR"


def _unrecorded(case: SnapCase, status: ChargeStatus) -> ChargeResult:
    """An answer the bank never recorded, so it carries no charge reference."""
    return ChargeResult(status, case.failure_code, None, case.code, case.message)


UNKNOWN = _unrecorded(TIMEOUT, ChargeStatus.unknown)
_UNRECORDED = {
    Fault.gateway_error: _unrecorded(SERVER_ERROR, ChargeStatus.failed),
    Fault.rate_limited: _unrecorded(RATE_LIMITED, ChargeStatus.failed),
    Fault.timeout_before: UNKNOWN,
}
_TIMEOUT_AFTER = Fault.timeout_after  # a global: Enum member lookups cost ~0.1 µs on Python 3.11
_SCRIPTED: dict[str, Fault] = {token: m.first_call for token, m in TEST_METHODS.items() if m.first_call}
_tuple_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (a frame fewer)


def _check_replay(record: ChargeRecord, req: ChargeRequest) -> None:
    if (record.amount, record.currency, record.payment_method) != (req.amount, req.currency, req.payment_method):
        raise IdempotencyMismatch(
            f"idempotency key {req.idempotency_key!r} was first used for {record.amount} {record.currency} "
            f"on {record.payment_method!r}, now for {req.amount} {req.currency} on {req.payment_method!r}"
        )


def _decide(spec: AccountSpec | None, req: ChargeRequest, day: date, cycle_start: date, debited: int) -> ChargeRecord:
    """The record of a charge that reaches the bank, ``debited`` being this pay cycle's debits so far."""
    code = verdict(spec, req, day, cycle_start, debited).code
    return _tuple_new(
        ChargeRecord, (req.idempotency_key, req.payment_method, req.amount, req.currency, day, cycle_start, code)
    )


def verdict(spec: AccountSpec | None, req: ChargeRequest, day: date, cycle_start: date, debited: int) -> SnapCase:
    """The bank's answer to a charge that reaches the account, ``debited`` being this pay cycle's debits."""
    if spec is None:
        return INVALID_ACCOUNT
    if req.currency != CURRENCY:
        return NOT_PERMITTED
    if spec.restricted:  # most accounts have no restriction: one check instead of six on every charge
        case = _restriction(spec, req.amount, day)
        if case is not None:
            return case
    if req.amount > spec.cycle_funds(day, cycle_start) - debited:
        return INSUFFICIENT
    return SUCCESS


def _restriction(spec: AccountSpec, amount: int, day: date) -> SnapCase | None:
    if spec.invalid:
        return INVALID_ACCOUNT
    if spec.closed_on is not None and spec.closed_on <= day:
        return CLOSED
    if spec.blocked_on is not None and spec.blocked_on <= day:
        return BLOCKED
    if spec.dormant_on is not None and spec.dormant_on <= day:
        return DORMANT
    if spec.mandate_revoked_on is not None and spec.mandate_revoked_on <= day:
        return TOKEN_REVOKED
    if spec.per_charge_limit is not None and amount > spec.per_charge_limit:
        return LIMIT
    return None


class Bank:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], date],
        *,
        seed: int = 0,
        faults: FaultRates | None = None,
        latency_ms: int = 0,
    ):
        self.store = store
        self._record_of = store.get  # bound once: looked up on every charge
        self.clock = clock
        self.seed = seed
        self.faults = faults or FaultRates()
        self._faults_active = self.faults.active
        self._latency_s = latency_ms / 1000
        self._accounts: dict[str, AccountSpec | None] = {}
        self._reversing = threading.Lock()  # "what is left of a charge" is checked and spent at once

    def open(self, *accounts: AccountSpec) -> None:
        """Adds accounts known to this Bank object only (population tokens and test methods need no opening)."""
        for spec in accounts:
            self._accounts[spec.token] = spec

    def account(self, token: str) -> AccountSpec | None:
        try:
            return self._accounts[token]
        except KeyError:
            method = TEST_METHODS.get(token)
            spec = method.account if method else parse_population_token(token)
            self._accounts[token] = spec
            return spec

    def charge(self, req: ChargeRequest) -> ChargeResult:
        return self.charge_many((req,))[0]

    def charge_many(self, reqs: Sequence[ChargeRequest]) -> list[ChargeResult]:
        """Each request in turn, as ``charge`` one after another would, on one day. The hot path of the
        million-charge benchmark: what the requests share is looked up once, no helper call per charge."""
        day = self.clock()
        record_of, settle, accounts = self._record_of, self.store.settle, self._accounts
        latency_s, faults_active = self._latency_s, self._faults_active
        results: list[ChargeResult] = []
        answer = results.append
        for req in reqs:
            if latency_s:
                time.sleep(latency_s)
            key = req.idempotency_key
            method = req.payment_method
            record = record_of(key)
            if record is not None:
                _check_replay(record, req)
                answer(record.result)
                continue
            fault = self._fault(method, key) if faults_active or method in _SCRIPTED else None
            if fault is not None and fault is not _TIMEOUT_AFTER:
                answer(_UNRECORDED[fault])
                continue
            spec = accounts[method] if method in accounts else self.account(method)
            cycle_start = spec.payday.last_on_or_before(day) if spec is not None else day
            record, new = settle(key, method, cycle_start, partial(_decide, spec, req, day, cycle_start))
            if not new:  # another process or thread recorded this key first
                _check_replay(record, req)
            answer(UNKNOWN if fault is _TIMEOUT_AFTER else record.result)
        return results

    def _fault(self, payment_method: str, key: str) -> Fault | None:
        scripted = _SCRIPTED.get(payment_method)
        attempt = self.store.next_attempt(key)
        if scripted is not None:
            return scripted if attempt == 0 else None
        return self.faults.draw(self.seed, key, attempt)

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        record = self.store.get(idempotency_key)
        return record.result if record is not None else None

    def held(self, charge_key: str) -> int:
        """What is left of a charge: its amount, less refunds and chargebacks, plus chargebacks reversed."""
        record = self.store.get(charge_key)
        if record is None or not record.moved_money:
            return 0
        moved = sum(
            -r.amount if r.kind == ReversalKind.chargeback_reversed else r.amount
            for r in self.store.reversals()
            if r.charge_key == charge_key
        )
        return record.amount - moved

    def reverse(self, charge_key: str, amount: int, key: str, kind: ReversalKind) -> RefundResult:
        """Move money of a charge back (a refund, a chargeback) or forward again (a chargeback
        reversed). Idempotent by ``key``: a replay answers the first outcome, a refusal is not kept."""
        with self._reversing:
            found = next((r for r in self.store.reversals() if r.key == key), None)
            if found is not None:
                if (found.charge_key, found.amount) != (charge_key, amount):
                    raise IdempotencyMismatch(f"reversal key {key!r} was first used for another charge or amount")
                return RefundResult(RefundStatus.succeeded, key)
            record = self.store.get(charge_key)
            if record is None or not record.moved_money:
                return RefundResult(RefundStatus.failed, None, "no such successful charge")
            if kind is not ReversalKind.chargeback_reversed and amount > self.held(charge_key):
                return RefundResult(RefundStatus.failed, None, "more than is left of the charge")
            self.store.reverse(ReversalRecord(key, charge_key, kind.value, amount, self.clock()))
            return RefundResult(RefundStatus.succeeded, key)

    def reversals(self) -> list[ReversalRecord]:
        return self.store.reversals()

    def net_collected(self) -> int:
        """Everything debited, less what went back: the money this bank moved to the gateway, net."""
        back = sum(
            -r.amount if r.kind == ReversalKind.chargeback_reversed else r.amount for r in self.store.reversals()
        )
        return self.store.total_debited() - back

    def debits(self, payment_method: str) -> int:
        return self.store.debits(payment_method)

    def total_debited(self) -> int:
        return self.store.total_debited()

    def charges(self) -> list[ChargeRecord]:
        return self.store.charges()
