"""Queueing upcoming-debit notices (set-based) and delivering the outbox.

Delivery claims unsent notices in batches, one transaction per batch: on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so concurrent senders take different rows; SQLite (one writer) plainly.
Each notice is rendered and sent on its own: a failure is recorded on that notice (attempts,
last_error, a doubled retry delay) and the batch goes on."""

from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, Connection, Engine, Select, bindparam, or_, text, update
from sqlmodel import Session, col, select

from billing.metrics import NOTICES
from billing.notices.models import Notice, NoticeKind
from billing.notices.senders import OutgoingNotice, Sender, load_sender
from billing.notices.texts import render
from billing.observability import redact
from billing.pagination import PageQuery, paginate
from billing.participants.models import Participant
from billing.settings import Settings
from billing.timeutil import utcnow

log = structlog.get_logger("billing.notices")
BATCH_SIZE = 100


def json_object(conn: Connection) -> str:
    """The SQL function that builds a JSON object from key/value pairs on this backend."""
    return "json_build_object" if conn.dialect.name == "postgresql" else "json_object"


# Mirrors planning's first attempt: a due, self-paid contribution of the debit date's month, an active
# mandate whose debit day is that date. One notice per contribution, whatever the run.
_UPCOMING = """
INSERT INTO notice (participant_id, kind, dedupe_key, params, created_at)
SELECT c.participant_id, 'debit_upcoming', 'debit_upcoming:' || c.id,
       {json}('amount', c.amount_due, 'period', c.period, 'debit_on', CAST(:debit_on AS VARCHAR(10)),
              'account', m.display),
       :now
FROM contribution c
JOIN mandate m ON m.participant_id = c.participant_id AND m.status = 'active'
WHERE c.status = 'due' AND c.payer = 'self' AND c.period = :period AND m.debit_day = :day
ORDER BY c.id
ON CONFLICT (dedupe_key) DO NOTHING
"""


def queue_upcoming(engine: Engine, today: date, days_before: int) -> int:
    """Queue a reminder for every first debit due in 1..``days_before`` days; returns how many were new.
    The whole window, not only the last day, so a day the job did not run still gets its reminders."""
    queued = 0
    with engine.begin() as conn:
        statement = text(_UPCOMING.format(json=json_object(conn)))
        for ahead in range(1, days_before + 1):
            debit_on = today + timedelta(days=ahead)
            params = {
                "debit_on": debit_on.isoformat(),
                "period": debit_on.replace(day=1).isoformat(),
                "day": debit_on.day,
                "now": utcnow(),
            }
            queued += conn.execute(statement, params).rowcount
    return queued


# From the debit engine's results (``tmp_results``): a failed debit whose failure class tells the worker
# (its notice params are set) gets one notice, keyed by the attempt.
_DEBIT_FAILED = """
INSERT INTO notice (participant_id, kind, dedupe_key, params, created_at)
SELECT r.participant_id, 'debit_failed', 'debit_failed:' || r.id, r.params, :now
FROM tmp_results r WHERE r.status = 'failed' AND r.params IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
"""


def queue_debit_failed(conn: Connection, now: datetime) -> None:
    conn.execute(text(_DEBIT_FAILED), {"now": now})


def queue(conn: Connection, participant_id: int, kind: NoticeKind, dedupe_key: str, params: dict[str, Any]) -> bool:
    """One notice, once per ``dedupe_key``, inside the caller's transaction; False when it was queued before."""
    done = conn.execute(
        text(
            "INSERT INTO notice (participant_id, kind, dedupe_key, params, created_at)"
            " VALUES (:p, :kind, :key, :params, :now) ON CONFLICT (dedupe_key) DO NOTHING"
        ).bindparams(bindparam("params", type_=JSON)),
        {"p": participant_id, "kind": kind.value, "key": dedupe_key, "params": params, "now": utcnow()},
    )
    return done.rowcount == 1


def _claim(limit: int, after: int, max_attempts: int, now: datetime) -> Select[Any]:
    n = Notice
    return (
        select(n.id, n.participant_id, n.kind, n.dedupe_key, n.params, n.attempts, Participant.phone)
        .join(Participant, col(Participant.id) == n.participant_id)
        .where(
            col(n.sent_at).is_(None),
            n.attempts < max_attempts,
            or_(col(n.retry_at).is_(None), col(n.retry_at) <= now),
            col(n.id) > after,
        )
        .order_by(col(n.id))
        .limit(limit)
        .with_for_update(of=Notice.__table__, skip_locked=True)  # type: ignore[arg-type]
    )


def send_pending(
    engine: Engine,
    sender: Sender,
    limit: int,
    *,
    max_attempts: int = 6,
    retry_minutes: int = 5,
    now: datetime | None = None,
) -> int:
    """Send up to ``limit`` due notices, oldest first; returns how many were sent. Each notice is tried
    at most once per call (failed ones wait for their retry time)."""
    sent_count = tried = after = 0
    while tried < limit:
        at = now or utcnow()
        with engine.begin() as conn:
            rows = conn.execute(_claim(min(BATCH_SIZE, limit - tried), after, max_attempts, at)).all()
            if not rows:
                break
            sent: list[int] = []
            failed: list[dict[str, object]] = []
            for r in rows:
                notice = OutgoingNotice(r.id, r.participant_id, NoticeKind(r.kind), r.phone, r.dedupe_key)
                try:
                    sender.send(notice, render(notice.kind, r.params))
                except Exception as exc:  # any failure of one notice: record it, go on with the batch
                    error = redact(f"{type(exc).__name__}: {exc}")[:200]
                    log.warning("notice_send_failed", notice_id=r.id, attempt=r.attempts + 1, error=error)
                    delay = timedelta(minutes=retry_minutes * 2**r.attempts)
                    failed.append({"nid": r.id, "err": error, "retry": at + delay})
                else:
                    sent.append(r.id)
            NOTICES.labels("sent").inc(len(sent))
            NOTICES.labels("failed").inc(len(failed))
            if sent:
                conn.execute(
                    update(Notice)
                    .where(col(Notice.id).in_(sent))
                    .values(sent_at=at, last_error=None, retry_at=None, attempts=Notice.attempts + 1)
                )
            if failed:
                conn.execute(
                    update(Notice)
                    .where(col(Notice.id) == bindparam("nid"))
                    .values(attempts=Notice.attempts + 1, last_error=bindparam("err"), retry_at=bindparam("retry")),
                    failed,
                )
        sent_count += len(sent)
        tried += len(rows)
        after = rows[-1].id
    return sent_count


def send_due(engine: Engine, settings: Settings, limit: int | None = None) -> int:
    """Send with the configured sender and retry policy (the scheduled job and the CLI)."""
    return send_pending(
        engine,
        load_sender(settings.notice_sender),
        settings.notice_send_limit if limit is None else limit,
        max_attempts=settings.notice_max_attempts,
        retry_minutes=settings.notice_retry_minutes,
    )


def list_for_participant(session: Session, participant_id: int, q: PageQuery) -> tuple[list[Notice], int]:
    """Newest first."""
    stmt = (
        select(Notice)
        .where(Notice.participant_id == participant_id)
        .order_by(col(Notice.created_at).desc(), col(Notice.id).desc())
    )
    return paginate(session, stmt, q)
