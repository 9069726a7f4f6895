"""The contract every payment gateway adapter fulfils, and the values that cross it.

Amounts are whole rupiah here; an adapter converts to its gateway's minor unit at its own boundary
(Stripe treats IDR as two-decimal: Rp 16,800 is ``amount=1680000``).
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple, Protocol, runtime_checkable

from billing.gateways.failures import FailureCode


class ChargeStatus(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    # The gateway did not answer (timeout, dropped connection): money may or may not have moved.
    # Settle it with ``lookup`` or a replay of the same key, never with a new key.
    unknown = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeRequest:
    amount: int  # whole rupiah
    currency: str = "IDR"
    payment_method: str  # the gateway's token for the worker's account or e-wallet
    idempotency_key: str  # one per debit attempt; a replay of that attempt reuses it
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # bool is an int too; a float amount is a money bug.
        if type(self.amount) is not int or self.amount <= 0:
            raise ValueError(f"amount must be a positive whole number of rupiah, not {self.amount!r}")


class ChargeResult(NamedTuple):
    """Immutable, and a NamedTuple rather than a frozen dataclass: built on every charge, 4x cheaper."""

    status: ChargeStatus
    failure_code: FailureCode | None = None  # set when failed, and on unknown (as gateway_error)
    gateway_reference: str | None = None  # the gateway's charge id; None when it never answered
    raw_code: str | None = None  # the gateway's own code, for support and audits
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is ChargeStatus.succeeded


class GatewayCharge(NamedTuple):
    """A charge as the gateway records it (read back by its reference, or listed)."""

    reference: str
    idempotency_key: str | None  # ours, as the charge's metadata carries it
    amount: int  # whole rupiah
    currency: str
    result: ChargeResult
    day: date | None = None  # when the gateway took the money, in its own calendar


class ReversalKind(StrEnum):
    refund = "refund"  # money sent back to the payer (by us, or by someone at the gateway)
    chargeback = "chargeback"  # a dispute opened: the payer's bank took the money back
    chargeback_reversed = "chargeback_reversed"  # a dispute won: the money came back


class GatewayReversal(NamedTuple):
    """Money the gateway moved back after a charge; ``chargeback_reversed`` moves it forward again."""

    reference: str
    charge_reference: str
    kind: ReversalKind
    amount: int  # whole rupiah, always positive
    idempotency_key: str | None = None  # ours, for the refunds we asked for


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundRequest:
    charge_reference: str  # the gateway's id of the charge the money goes back through
    amount: int  # whole rupiah
    idempotency_key: str  # one per refund; a retry of that refund reuses it
    currency: str = "IDR"

    def __post_init__(self) -> None:
        if type(self.amount) is not int or self.amount <= 0:
            raise ValueError(f"amount must be a positive whole number of rupiah, not {self.amount!r}")


class RefundStatus(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    pending = "pending"  # accepted, or no answer: ask again with the same key


class RefundResult(NamedTuple):
    status: RefundStatus
    reference: str | None = None  # the gateway's refund id
    message: str = ""


class EventKind(StrEnum):
    """What a gateway event means to us, whatever the gateway calls it."""

    outcome = "outcome"  # a charge's outcome: succeeded, failed, or still processing
    refunded = "refunded"  # money of a charge was refunded (``amount``: the charge's refunded total)
    dispute_opened = "dispute_opened"  # ``amount`` was taken back by a dispute
    dispute_won = "dispute_won"  # the dispute ``object_id`` ended in our favour: ``amount`` is back
    dispute_lost = "dispute_lost"
    refund_updated = "refund_updated"  # a refund (``object_id``) we asked for: ``refund_status``
    other = "other"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    id: str  # the gateway's event id: deliveries are at least once, deduplicate on it
    type: str
    idempotency_key: str  # ours, from the charge's metadata ("" when the event carries none)
    gateway_reference: str | None  # the charge (PaymentIntent) the event is about
    result: ChargeResult
    kind: EventKind = EventKind.outcome
    amount: int | None = None  # whole rupiah: the charge's amount, or as ``kind`` says
    currency: str | None = None
    object_id: str | None = None  # a refund's or a dispute's id
    refund_status: RefundStatus | None = None
    refund_key: str | None = None  # our idempotency key of the refund an event is about


class SetupStatus(StrEnum):
    requires_action = "requires_action"  # the payer confirms at the gateway or bank: send them to next_action_url
    succeeded = "succeeded"  # bound: ``payment_method`` is the token to charge
    failed = "failed"  # refused, or abandoned: nothing is bound


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupRequest:
    """Binding a payer's bank account or e-wallet for later debits (Stripe: a SetupIntent; a bank: its
    direct-debit registration with the account holder's OTP). The payer confirms at the gateway, which
    then holds the account; we only ever get its token."""

    customer: str  # the gateway's customer (``create_customer``)
    channel: str  # "bank" or "ewallet"
    provider: str  # the bank or e-wallet the payer chose, e.g. "BRI", "GoPay"
    max_amount: int  # whole rupiah a debit may take, as the consent says
    debit_day: int
    return_url: str  # where the gateway sends the payer back once they confirmed or refused
    idempotency_key: str  # one per consent: a retry of the request makes no second binding
    payment_method: str | None = None  # a method the payer already gave the gateway (Stripe's pm_…), if any
    metadata: Mapping[str, str] = field(default_factory=dict)


class SetupResult(NamedTuple):
    reference: str  # the gateway's id of the binding (Stripe's seti_…)
    status: SetupStatus
    next_action_url: str | None = None  # where the payer confirms, while ``requires_action``
    payment_method: str | None = None  # the token to charge, once ``succeeded``
    display: str | None = None  # how the account is shown, e.g. "BRI ••••1234" (never its number)
    failure_code: str | None = None
    message: str = ""


class GatewayError(Exception):
    """Base of the errors an adapter raises (payment outcomes are results, not exceptions)."""


class IdempotencyMismatch(GatewayError):
    """A key was replayed with another amount, currency or payment method: a caller bug, nothing charged."""


class UnknownPaymentMethod(GatewayError):
    """The gateway does not know this payment method token."""


class WebhookNotSupported(GatewayError):
    """This adapter gets no webhooks; settle unknown outcomes with ``lookup``."""


class InvalidWebhook(GatewayError):
    """The signature does not match, is stale or missing: answer 400 and ignore the payload."""


class MalformedWebhook(InvalidWebhook):
    """Signed correctly, but the body is not an event we can read: answer 400, saying so."""


@runtime_checkable
class Gateway(Protocol):
    name: str

    def create_customer(self, reference: str, name: str) -> str:
        """The gateway's customer id for our ``reference`` (participant id)."""
        ...

    def attach_payment_method(self, customer: str, payment_method: str) -> str:
        """Binds a payment method to a customer; returns the token to charge."""
        ...

    def charge(self, req: ChargeRequest) -> ChargeResult: ...

    def charge_many(self, reqs: Sequence[ChargeRequest]) -> list[ChargeResult]:
        """One result per request, in the same order; an adapter may run them concurrently."""
        ...

    def lookup(self, idempotency_key: str, metadata: Mapping[str, str] | None = None) -> ChargeResult | None:
        """The recorded outcome of a key, or None when the gateway never processed it (replaying it is
        safe). Read only: never sends the charge."""
        ...

    def retrieve(self, reference: str) -> GatewayCharge | None:
        """The charge the gateway knows by ``reference`` (read only), or None when it knows none."""
        ...

    def refund(self, req: RefundRequest) -> RefundResult:
        """Send money of a charge back; replaying the same key answers the first outcome."""
        ...

    def charges(self) -> Iterator[GatewayCharge]:
        """The gateway's own record of every successful charge (for ``billing ledger verify``)."""
        ...

    def reversals(self, charge_reference: str | None = None) -> Iterator[GatewayReversal]:
        """The gateway's own record of refunds and chargebacks (of one charge, or of all)."""
        ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> WebhookEvent: ...

    def start_setup(self, req: SetupRequest) -> SetupResult:
        """Begin binding the payer's account; usually ``requires_action`` with the page where the payer
        confirms. Replaying the same key answers the same binding."""
        ...

    def retrieve_setup(self, reference: str) -> SetupResult | None:
        """The binding as the gateway records it now (read only); None when it knows no such binding.
        Whatever a browser coming back says, this is what decides."""
        ...


class SequentialChargeMany:
    """The default ``charge_many``: one charge after another."""

    def charge_many(self, reqs: Sequence[ChargeRequest]) -> list[ChargeResult]:
        charge = self.charge  # type: ignore[attr-defined]
        return [charge(r) for r in reqs]
