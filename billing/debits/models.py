"""Debit runs, their batches, and the attempts they make.

An attempt row is written, with its unique idempotency key, BEFORE the gateway is called; the outcome
is written after. A crash in between leaves a ``pending`` attempt that is replayed with the SAME key
(the gateway answers with the first outcome), never charged anew."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing.columns import BIG_ID, big_pk, created_at, enum_field, money, timestamp


class RunKind(StrEnum):
    generate = "generate"
    debit = "debit"
    lapse = "lapse"
    manual = "manual"  # the day's one-off attempts made by staff (billing.debits.retry_now)
    payment = "payment"  # the day's one-off payments by workers ("pay now"): attempts without batches


class RunStatus(StrEnum):
    planning = "planning"
    running = "running"
    completed = "completed"


class Run(SQLModel, table=True):
    """One row per (kind, date): a job fired twice, or by three schedulers at once, starts one run."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("kind", "run_date", name="uq_job_run_kind_date"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: RunKind = enum_field(RunKind)
    run_date: date
    status: RunStatus = enum_field(RunStatus, default=RunStatus.planning)
    planned: int = 0
    # Planning goes by contribution id ranges, one transaction each: the last contribution id planned.
    # Workers charge the first chunks while later ones are planned; a killed planner resumes here.
    planned_through: int = Field(default=0, sa_type=BigInteger)
    started_at: datetime = created_at()
    finished_at: datetime | None = timestamp()


class AttemptStatus(StrEnum):
    # Written; not sent while its batch has no ``sent_at`` (it may still be cancelled), maybe sent after
    # (a worker died): asked at the gateway, then replayed with the same key or cancelled.
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"
    unknown = "unknown"  # timeout, transient error or processing: settled by lookup or same-key replay
    cancelled = "cancelled"  # never sent: what it was planned on changed (``cancel_reason``)


class AttemptTrigger(StrEnum):
    scheduled = "scheduled"
    retry = "retry"
    manual = "manual"


class DebitAttempt(SQLModel, table=True):
    """No foreign keys and no index on ``run_id`` on purpose: every attempt is written by one
    INSERT ... SELECT from the very rows it names, nothing is ever deleted, a run's attempts are found
    through its batches' id ranges, and a run writes a million of them, where per-row key checks and
    extra indexes would cost more than the write itself. ``billing ledger verify`` checks references."""

    __tablename__ = "debit_attempt"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_debit_attempt_idempotency_key"),
        UniqueConstraint("contribution_id", "attempt_no", name="uq_debit_attempt_contribution_no"),
        # No index on the columns an outcome changes (status, codes), and half of each page left free
        # for the resolved version of every row on it: resolving an attempt is then a heap-only (HOT)
        # update, with no index writes. At a million attempts a run that is the biggest saving.
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: int | None = big_pk()
    run_id: int
    contribution_id: int = Field(sa_type=BIG_ID)
    mandate_id: int
    attempt_no: int
    trigger: AttemptTrigger = enum_field(AttemptTrigger)
    amount: int = money()
    idempotency_key: str = Field(max_length=64)
    gateway: str = Field(max_length=32)
    # The gateway token charged (never an account number), kept for audit: the mandate may change later.
    payment_method: str = Field(max_length=255)
    status: AttemptStatus = enum_field(AttemptStatus, default=AttemptStatus.pending)
    failure_code: str | None = Field(default=None, max_length=40)
    gateway_code: str | None = Field(default=None, max_length=40)  # the gateway's own code of a failure
    gateway_reference: str | None = Field(default=None, max_length=80)
    created_at: datetime = created_at()
    resolved_at: datetime | None = timestamp()
    cancel_reason: str | None = Field(default=None, max_length=40)  # billing.debits.guards.CancelReason


class DebitUnsettled(SQLModel, table=True):
    """The attempts whose outcome is unknown (timeout, transient gateway error), and when to settle
    each: a small queue, so the attempts table needs no index on its status."""

    __tablename__ = "debit_unsettled"

    attempt_id: int = Field(sa_type=BIG_ID, foreign_key="debit_attempt.id", primary_key=True)
    retry_at: datetime = timestamp(nullable=False, index=True)
    # How often the gateway was asked: a processing debit is read again less and less often.
    checks: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class BatchStatus(StrEnum):
    queued = "queued"
    claimed = "claimed"
    done = "done"


class DebitBatch(SQLModel, table=True):
    """A slice of a run's attempts (an id range) that one worker claims with a lease.
    Claiming batches, not rows, keeps the per-charge database cost to the attempt write itself."""

    __tablename__ = "debit_batch"
    __table_args__ = (Index("ix_debit_batch_claim", "status", "lease_expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="job_run.id", index=True)
    first_attempt_id: int = Field(sa_type=BigInteger)
    last_attempt_id: int = Field(sa_type=BigInteger)
    size: int
    status: BatchStatus = enum_field(BatchStatus, default=BatchStatus.queued)
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_expires_at: datetime | None = timestamp()
    claims: int = 0
    # Set, with the checks of its attempts, in the transaction that hands the batch to the gateway: from
    # then on its pending attempts may have been sent, and only the gateway's answer settles them.
    sent_at: datetime | None = timestamp()
    finished_at: datetime | None = timestamp()


class DebitSchedule(SQLModel, table=True):
    """When a contribution whose debit failed is tried again, and how many attempts it had (a row
    appears at the first failure). Kept apart from the contribution's own state (due/paid/waived)."""

    __tablename__ = "debit_schedule"
    __table_args__ = (Index("ix_debit_schedule_next", "next_debit_on"),)

    contribution_id: int = Field(sa_type=BIG_ID, foreign_key="contribution.id", primary_key=True)
    next_debit_on: date | None = None
    attempts: int = 0
    # Why retries stopped: a hard failure code, ``max_attempts``, or ``coverage_ended``.
    stopped_reason: str | None = Field(default=None, max_length=40)
    # Attempts cancelled before they were sent: ``attempts`` numbers keys, the retry policy counts
    # ``attempts - skipped`` tries.
    skipped: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class OneOffPayment(SQLModel, table=True):
    """A worker's "pay now": one charge through the gateway for the months it names, made as a debit
    attempt of the day's ``payment`` run on the oldest of them, for their sum. Its money so takes the
    debits' own path (receipt, ledger, credit, refunds, reversals, ``billing ledger verify``): what is
    more than its month owes is the participant's credit, which pays the next months oldest first."""

    __tablename__ = "one_off_payment"

    attempt_id: int = Field(sa_type=BIG_ID, foreign_key="debit_attempt.id", primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    # The months it was for, oldest first, as "YYYY-MM" (the receipt names them).
    periods: list[str] = Field(sa_type=JSON)
    requested_at: datetime = created_at()
    source_ip: str | None = Field(default=None, max_length=45)
