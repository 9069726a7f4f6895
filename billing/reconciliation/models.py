"""Settlement files from the gateway (or the bank), their lines, and what did not agree with our books.

A file is stored once (its SHA-256 is unique) and each of its lines once per gateway (a Stripe balance
transaction id, or the bank's date, status and reference): importing the same file again, or a file
that overlaps an earlier one, counts nothing twice. Every line that disagrees with our receipts, and
every receipt of the file's days that no imported file holds, becomes an item for finance to resolve."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, big_pk, created_at, enum_field, timestamp


class SettlementFormat(StrEnum):
    stripe = "stripe"  # Stripe's itemized balance / payout reconciliation report (CSV)
    bank = "bank"  # a plain bank settlement CSV: reference, amount, date, status


class LineResult(StrEnum):
    matched = "matched"  # a receipt of ours, same amount
    file_only = "file_only"  # money in the file with no receipt in our books
    amount_differs = "amount_differs"  # a receipt of ours, another amount
    other = "other"  # not a charge (a fee, payout, refund, a failed bank line): kept, not reconciled


class ItemKind(StrEnum):
    file_only = "file_only"
    books_only = "books_only"  # a receipt of ours on one of the file's days that no imported file holds
    amount_differs = "amount_differs"


class BookSource(StrEnum):
    """Which of our receipts a line is: a worker's debit or a sponsor invoice's charge."""

    debit = "debit"  # debit_attempt, its receipt ``debit:<id>``
    invoice = "invoice"  # sponsor_invoice_attempt, its receipt ``invdebit:<id>``


class Note(StrEnum):
    duplicate = "duplicate"  # the charge is on an earlier line already: this one is money twice
    no_receipt = "no_receipt"  # we know the attempt, but it has no receipt (failed, unknown, pending)


class ReconciliationImport(SQLModel, table=True):
    __tablename__ = "reconciliation_import"
    __table_args__ = (UniqueConstraint("sha256", name="uq_reconciliation_import_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    format: SettlementFormat = enum_field(SettlementFormat)
    gateway: str = Field(max_length=32)
    first_day: date
    last_day: date
    # Lines in the file; of them, those stored now, and those an earlier file had already brought.
    lines: int
    new_lines: int
    repeated: int
    # Results of the new lines; items opened for receipts missing from every file; items closed.
    matched: int = 0
    file_only: int = 0
    amount_differs: int = 0
    other: int = 0
    books_only: int = 0
    closed: int = 0
    user_id: int | None = Field(default=None, foreign_key="api_user.id")
    channel: str = Field(max_length=3)  # web, api, cli
    imported_at: datetime = created_at()


class ReconciliationLine(SQLModel, table=True):
    __tablename__ = "reconciliation_line"
    __table_args__ = (
        UniqueConstraint("gateway", "line_key", name="uq_reconciliation_line_key"),
        # Which line holds a receipt: duplicates, and receipts no file holds.
        Index("ix_reconciliation_line_book", "source", "book_id"),
    )

    id: int | None = big_pk()
    # No foreign key on purpose: lines are written set-based with their import, never apart, and a
    # key check per line cost a fifth of storing a large file.
    import_id: int = Field(index=True)
    line_no: int
    gateway: str = Field(max_length=32)
    line_key: str = Field(max_length=200)
    reference: str | None = Field(default=None, max_length=120)  # the gateway's charge (PaymentIntent) id
    idempotency_key: str | None = Field(default=None, max_length=64)  # ours, when the file carries it
    category: str = Field(max_length=40)  # Stripe's reporting_category, or the bank's status
    amount: int = Field(sa_type=BigInteger)  # whole rupiah, signed (a refund is negative)
    fee: int | None = Field(default=None, sa_type=BigInteger)
    net: int | None = Field(default=None, sa_type=BigInteger)
    day: date
    result: LineResult = enum_field(LineResult)
    source: BookSource | None = enum_field(BookSource, default=None)
    book_id: int | None = Field(default=None, sa_type=BigInteger)
    books_amount: int | None = Field(default=None, sa_type=BigInteger)
    note: Note | None = enum_field(Note, default=None)


class ReconciliationItem(SQLModel, table=True):
    """A mismatch for finance: one per line or per receipt (``subject``), whichever import found it."""

    __tablename__ = "reconciliation_item"
    __table_args__ = (UniqueConstraint("gateway", "subject", name="uq_reconciliation_item_subject"),)

    id: int | None = big_pk()
    kind: ItemKind = enum_field(ItemKind)
    import_id: int = Field(foreign_key="reconciliation_import.id", index=True)
    line_id: int | None = Field(default=None, sa_type=BIG_ID, foreign_key="reconciliation_line.id")
    gateway: str = Field(max_length=32)
    subject: str = Field(max_length=80)  # line:<id>, or debit:<attempt> / invoice:<attempt>
    reference: str | None = Field(default=None, max_length=120)
    idempotency_key: str | None = Field(default=None, max_length=64)
    day: date
    file_amount: int | None = Field(default=None, sa_type=BigInteger)
    books_amount: int | None = Field(default=None, sa_type=BigInteger)
    source: BookSource | None = enum_field(BookSource, default=None)
    book_id: int | None = Field(default=None, sa_type=BigInteger)
    participant_id: int | None = None
    note: Note | None = enum_field(Note, default=None)
    created_at: datetime = created_at()
    resolved_at: datetime | None = timestamp()
    # A person (with the reason), or nobody: a later file showed the receipt after all.
    resolved_by: int | None = Field(default=None, foreign_key="api_user.id")
    resolution: str | None = Field(default=None, max_length=500)
