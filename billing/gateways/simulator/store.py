"""Where the simulated bank keeps its charges: the interface, and the in-memory store.

A store records each idempotency key's first outcome and counts the money that moved, so a test can
prove "never charged twice" at the bank, independently of the service's own tables.
"""

import threading
from collections.abc import Callable
from datetime import date
from typing import NamedTuple, Protocol

from billing.gateways.base import ChargeResult
from billing.gateways.simulator.codes import BY_CODE, SUCCESS

REF_PREFIX = "sim_ch_"  # a charge's reference is "sim_ch_" + its key: the same in every process and run
_SUCCESS_CODE = SUCCESS.code
_tuple_new = tuple.__new__


class ChargeRecord(NamedTuple):
    """What the bank recorded for one idempotency key.

    Only strings, ints and dates: the garbage collector stops tracking such a tuple, which keeps a
    million stored charges from slowing every collection (the result is rebuilt when asked for)."""

    idempotency_key: str
    payment_method: str
    amount: int
    currency: str
    day: date
    cycle_start: date  # the payday that opened the account's pay cycle on ``day``
    raw_code: str  # the bank's SNAP answer; the outcome is never unknown here

    @property
    def moved_money(self) -> bool:
        return self.raw_code == _SUCCESS_CODE

    @property
    def result(self) -> ChargeResult:
        case = BY_CODE[self.raw_code]
        # tuple.__new__ skips the NamedTuple's Python-level __new__: this runs on every charge.
        fields = (case.status, case.failure_code, REF_PREFIX + self.idempotency_key, case.code, case.message)
        return _tuple_new(ChargeResult, fields)


class ReversalRecord(NamedTuple):
    """Money moved back after a charge (a refund, a chargeback) or forward again (a chargeback reversed)."""

    key: str  # the refund's idempotency key, or the dispute's id
    charge_key: str  # the idempotency key of the charge
    kind: str  # billing.gateways.base.ReversalKind
    amount: int
    day: date


class SetupRecord(NamedTuple):
    """A direct-debit registration at the bank: the account holder confirms it on the bank's own page
    with the code the bank sent them (``otp``), choosing the account (a test method's token)."""

    reference: str
    idempotency_key: str
    customer: str
    channel: str
    provider: str
    max_amount: int
    debit_day: int
    return_url: str
    otp: str
    status: str  # billing.gateways.base.SetupStatus
    payment_method: str | None = None
    display: str | None = None
    wrong_codes: int = 0
    failure_code: str | None = None


# Given what the account already paid in the current pay cycle, the outcome of a new charge.
Decide = Callable[[int], ChargeRecord]


class Store(Protocol):
    def get(self, idempotency_key: str) -> ChargeRecord | None: ...

    def settle(
        self, idempotency_key: str, payment_method: str, cycle_start: date, decide: Decide
    ) -> tuple[ChargeRecord, bool]:
        """Atomically: the key's recorded outcome and False; or else ``decide``'s record, stored, and True."""
        ...

    def next_attempt(self, idempotency_key: str) -> int:
        """Counts a call with this key that reached the bank; 0 for the first."""
        ...

    def debits(self, payment_method: str) -> int:
        """How many times money was taken from this payment method."""
        ...

    def total_debited(self) -> int: ...

    def charges(self) -> list[ChargeRecord]:
        """Every recorded outcome, failures included, in the order they were recorded."""
        ...

    def reverse(self, record: ReversalRecord) -> tuple[ReversalRecord, bool]:
        """Atomically: the reversal recorded under ``record.key`` and False; or else ``record``, stored,
        and True. (The bank checks the amount against what is left of the charge before.)"""
        ...

    def reversals(self) -> list[ReversalRecord]: ...

    def open_setup(self, record: SetupRecord) -> SetupRecord:
        """Atomically: the setup recorded under ``record.idempotency_key``, or else ``record``, stored."""
        ...

    def get_setup(self, reference: str) -> SetupRecord | None: ...

    def save_setup(self, record: SetupRecord) -> None:
        """Replace the setup recorded under ``record.reference``."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """One process, any number of threads. Fast: the debit benchmark charges a million times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, ChargeRecord] = {}
        self._cycle_debited: dict[tuple[str, date], int] = {}
        self._debits: dict[str, int] = {}
        self._attempts: dict[str, int] = {}
        self._reversals: dict[str, ReversalRecord] = {}
        self._setups: dict[str, SetupRecord] = {}
        self._total = 0
        # The dict's own method: no Python frame on the hot path (records are never changed once stored).
        self.get: Callable[[str], ChargeRecord | None] = self._records.get

    def settle(
        self, idempotency_key: str, payment_method: str, cycle_start: date, decide: Decide
    ) -> tuple[ChargeRecord, bool]:
        self._lock.acquire()  # not ``with``: twice as fast here, and this runs on every charge
        try:
            found = self._records.get(idempotency_key)
            if found is not None:
                return found, False
            cycle = (payment_method, cycle_start)
            debited = self._cycle_debited.get(cycle, 0)
            record = decide(debited)
            self._records[idempotency_key] = record
            if record.raw_code == _SUCCESS_CODE:
                self._cycle_debited[cycle] = debited + record.amount
                self._debits[payment_method] = self._debits.get(payment_method, 0) + 1
                self._total += record.amount
            return record, True
        finally:
            self._lock.release()

    def next_attempt(self, idempotency_key: str) -> int:
        with self._lock:
            n = self._attempts.get(idempotency_key, 0)
            self._attempts[idempotency_key] = n + 1
            return n

    def debits(self, payment_method: str) -> int:
        return self._debits.get(payment_method, 0)

    def total_debited(self) -> int:
        return self._total

    def charges(self) -> list[ChargeRecord]:
        with self._lock:
            return list(self._records.values())

    def reverse(self, record: ReversalRecord) -> tuple[ReversalRecord, bool]:
        with self._lock:
            found = self._reversals.get(record.key)
            if found is not None:
                return found, False
            self._reversals[record.key] = record
            return record, True

    def reversals(self) -> list[ReversalRecord]:
        with self._lock:
            return list(self._reversals.values())

    def open_setup(self, record: SetupRecord) -> SetupRecord:
        with self._lock:
            found = next((r for r in self._setups.values() if r.idempotency_key == record.idempotency_key), None)
            if found is not None:
                return found
            self._setups[record.reference] = record
            return record

    def get_setup(self, reference: str) -> SetupRecord | None:
        with self._lock:
            return self._setups.get(reference)

    def save_setup(self, record: SetupRecord) -> None:
        with self._lock:
            self._setups[record.reference] = record

    def close(self) -> None:
        """Nothing to release."""
