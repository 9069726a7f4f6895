"""Read side of debit runs: progress and counts by outcome."""

from sqlalchemy import func, select
from sqlmodel import Session

from billing.debits.models import BatchStatus, DebitAttempt, DebitBatch, Run, RunKind
from billing.debits.schemas import DebitRunDetail, DebitRunOut, DebitRunQuery
from billing.errors import NotFound
from billing.pagination import paginate


def list_runs(session: Session, q: DebitRunQuery) -> tuple[list[DebitRunOut], int]:
    stmt = select(Run).where(Run.kind == RunKind.debit).order_by(Run.run_date.desc())  # type: ignore[attr-defined]
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
    a = DebitAttempt
    by_outcome = dict(session.exec(select(a.status, func.count()).where(a.run_id == run_id).group_by(a.status)).all())
    by_code = dict(
        session.exec(
            select(a.failure_code, func.count())
            .where(a.run_id == run_id, a.failure_code.is_not(None))  # type: ignore[union-attr]
            .group_by(a.failure_code)
        ).all()
    )
    collected = session.exec(
        select(func.coalesce(func.sum(a.amount), 0)).where(a.run_id == run_id, a.status == "succeeded")
    ).one()
    b = DebitBatch
    total = session.exec(select(func.count()).where(b.run_id == run_id)).one()
    done = session.exec(select(func.count()).where(b.run_id == run_id, b.status == BatchStatus.done)).one()
    return DebitRunDetail(
        **DebitRunOut.model_validate(run, from_attributes=True).model_dump(),
        batches_total=total,
        batches_done=done,
        by_outcome={str(k): v for k, v in by_outcome.items()},
        by_failure_code={str(k): v for k, v in by_code.items()},
        amount_collected=int(collected),
    )
