"""Read side of debit runs: progress and counts by outcome."""

from sqlalchemy import func, select
from sqlmodel import Session
from sqlmodel import select as select_models

from billing.debits.models import BatchStatus, DebitAttempt, DebitBatch, Run, RunKind
from billing.debits.schemas import DebitRunDetail, DebitRunOut, DebitRunQuery
from billing.errors import NotFound
from billing.pagination import paginate


def list_runs(session: Session, q: DebitRunQuery) -> tuple[list[DebitRunOut], int]:
    stmt = select_models(Run).where(Run.kind == RunKind.debit).order_by(Run.run_date.desc())  # type: ignore[attr-defined]
    if q.date_from:
        stmt = stmt.where(Run.run_date >= q.date_from)
    if q.date_to:
        stmt = stmt.where(Run.run_date <= q.date_to)
    if q.status:
        stmt = stmt.where(Run.status == q.status)
    rows, total = paginate(session, stmt, q)
    return [DebitRunOut.model_validate(r, from_attributes=True) for r in rows], total


def run_detail(session: Session, run_id: int) -> DebitRunDetail:
    run = session.get(Run, run_id)
    if run is None or run.kind is not RunKind.debit:
        raise NotFound(f"Proses debit {run_id} tidak ada. / Debit run {run_id} not found.", code="debit_run_not_found")
    # A run's attempts lie in its batches' id range: a primary-key range scan, no run_id index needed.
    b = DebitBatch
    lo, hi = session.exec(
        select(func.min(b.first_attempt_id), func.max(b.last_attempt_id)).where(b.run_id == run_id)
    ).one()
    a = DebitAttempt
    groups = session.exec(
        select(a.status, a.failure_code, func.count(), func.sum(a.amount))
        .where(a.id.between(lo or 0, hi or 0), a.run_id == run_id)  # type: ignore[union-attr]
        .group_by(a.status, a.failure_code)
    ).all()
    by_outcome: dict[str, int] = {}
    by_code: dict[str, int] = {}
    collected = 0
    for status, code, count, amount in groups:
        by_outcome[str(status)] = by_outcome.get(str(status), 0) + count
        if code:
            by_code[code] = by_code.get(code, 0) + count
        if status == "succeeded":
            collected += int(amount)
    total = session.execute(select(func.count()).where(b.run_id == run_id)).scalar_one()
    done = session.execute(select(func.count()).where(b.run_id == run_id, b.status == BatchStatus.done)).scalar_one()
    return DebitRunDetail(
        **DebitRunOut.model_validate(run, from_attributes=True).model_dump(),
        batches_total=total,
        batches_done=done,
        by_outcome=by_outcome,
        by_failure_code=by_code,
        amount_collected=collected,
    )
