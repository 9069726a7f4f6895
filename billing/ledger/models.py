"""Double-entry ledger as transfers: each row debits one account and credits another by the same
amount, so every posting balances by construction (the model of TigerBeetle and of many payment
ledgers). Balances are sums; ``billing ledger verify`` checks them against contributions and attempts."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, created_at, enum_field, money


class Account(StrEnum):
    gateway_clearing = "gateway_clearing"  # collected at the gateway, to be settled to BPJS
    contributions_receivable = "contributions_receivable"


class LedgerTransfer(SQLModel, table=True):
    """Like debit attempts, written set-based from the rows it names and never deleted: no foreign keys
    (their per-row checks would dominate a million-row run); ``billing ledger verify`` checks them."""

    __tablename__ = "ledger_transfer"

    # One posting per succeeded attempt, so the attempt is the key: a replayed resolution cannot post
    # twice, and a posting writes one index, not a serial id's and a unique attempt's.
    attempt_id: int = Field(sa_type=BIG_ID, primary_key=True, sa_column_kwargs={"autoincrement": False})
    contribution_id: int = Field(sa_type=BIG_ID)
    debit_account: Account = enum_field(Account)
    credit_account: Account = enum_field(Account)
    amount: int = money()
    posted_on: date
    created_at: datetime = created_at()
