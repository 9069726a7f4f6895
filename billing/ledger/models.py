"""Double-entry ledger as transfers: each row debits one account and credits another by the same
amount, so every posting balances by construction (the model of TigerBeetle and of many payment
ledgers). Balances are sums. Every money movement posts here, under a key that names its source
(``debit:<attempt>``, ``receipt:<receipt>:<contribution>``, ``refund:<refund>:paid``…), so posting
the same movement twice is impossible; ``billing ledger verify`` proves the books against the
contributions, the participants' credit and the gateway's own records."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, created_at, enum_field, money


class Account(StrEnum):
    gateway_clearing = "gateway_clearing"  # collected at the gateway, to be settled to BPJS
    contributions_receivable = "contributions_receivable"  # what participants owe, month by month
    participant_credit = "participant_credit"  # a participant's unapplied money (overpaid, paid twice)
    cash_agent = "cash_agent"  # cash an agent collected, to be remitted
    cash_branch = "cash_branch"  # cash or transfers received at a branch office
    bank_transfer = "bank_transfer"  # transfers into BPJS's account (sponsors' invoices)
    # What sponsors owe for their members' months: their money (a transfer, a charge) is credited here
    # and each month it pays is debited; a credit balance is sponsor money not yet applied.
    sponsor_receivable = "sponsor_receivable"
    refunds_payable = "refunds_payable"  # credit set aside for a refund not yet paid out
    write_off = "write_off"  # waived contributions
    opening_balance = "opening_balance"  # months paid before this ledger existed
    # Perisai agents' commission on the cash they collect: earned (an expense) and owed to them until paid.
    commission_expense = "commission_expense"
    commission_payable = "commission_payable"


# Where money comes from when it pays a contribution: every account but the receivables themselves.
MONEY_ACCOUNTS = (
    Account.gateway_clearing,
    Account.participant_credit,
    Account.cash_agent,
    Account.cash_branch,
    Account.bank_transfer,
    Account.sponsor_receivable,
    Account.opening_balance,
)


class TransferKind(StrEnum):
    debit = "debit"  # a successful charge at the gateway
    receipt = "receipt"  # cash, a transfer or a sponsor's payment, with its receipt number
    credit_applied = "credit_applied"  # a participant's credit paying a due month
    credit_unapplied = "credit_unapplied"  # a month's credit taken back to cover a reversal
    reversal = "reversal"  # a refund or dispute at the gateway taking a receipt back
    reinstated = "reinstated"  # a dispute won: the money is back
    refund_reserved = "refund_reserved"
    refund_paid = "refund_paid"
    refund_released = "refund_released"  # the refund failed: the money is credit again
    write_off = "write_off"
    write_off_undone = "write_off_undone"  # a waived month's money taken back: it is due again in full
    opening = "opening"
    sponsor_debit = "sponsor_debit"  # a successful charge of a sponsor's invoice at the gateway
    sponsor_applied = "sponsor_applied"  # sponsor money paying one member's month
    repriced = "repriced"  # paid beyond a month's new, lower price (a discount, a lower income): to credit
    commission = "commission"  # an agent's commission on a cash collection
    remittance = "remittance"  # cash an agent handed in, now in the bank account


class LedgerTransfer(SQLModel, table=True):
    """Like debit attempts, written set-based from the rows it names and never changed or deleted: no
    foreign keys (their per-row checks would dominate a million-row run); ``billing ledger verify``
    checks them. The key is the only index, so a debit run's posting writes one index entry."""

    __tablename__ = "ledger_transfer"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_ledger_transfer_amount_positive"),
        CheckConstraint("debit_account <> credit_account", name="ck_ledger_transfer_two_accounts"),
    )

    # Byte order: the key is compared, never sorted for people, and a collation would slow each insert.
    key: str = Field(primary_key=True, sa_type=String(80).with_variant(String(80, collation="C"), "postgresql"))
    kind: TransferKind = enum_field(TransferKind)
    debit_account: Account = enum_field(Account)
    credit_account: Account = enum_field(Account)
    amount: int = money()
    # What the transfer is about: the month paid, whose credit, and the source that moved the money.
    participant_id: int | None = None
    contribution_id: int | None = Field(default=None, sa_type=BIG_ID)
    attempt_id: int | None = Field(default=None, sa_type=BigInteger)
    receipt_id: int | None = Field(default=None, sa_type=BigInteger)
    refund_id: int | None = Field(default=None, sa_type=BigInteger)
    event_id: int | None = Field(default=None, sa_type=BigInteger)
    posted_on: date
    created_at: datetime = created_at()


class ParticipantCredit(SQLModel, table=True):
    """A participant's unapplied money, kept with every transfer that touches ``participant_credit``
    (the ledger holds the history; ``ledger verify`` checks the two agree). A row per participant
    who ever had credit."""

    __tablename__ = "participant_credit"
    __table_args__ = (CheckConstraint("balance >= 0", name="ck_participant_credit_not_negative"),)

    participant_id: int = Field(primary_key=True, foreign_key="participant.id")
    balance: int = money(default=0)
