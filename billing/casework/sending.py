"""Sending a retry right after the request that planned it committed, so finance sees its outcome
on the page: the request claims the attempt's batch and works it as a worker would
(``billing.debits.retry_now.send_now``). If a worker claimed it first, the worker sends it."""

from datetime import timedelta

import structlog
from sqlalchemy import text
from sqlmodel import Session

from billing import db
from billing.casework.actions import Outcome
from billing.debits.execution import worker_name
from billing.debits.policy import from_settings as retry_policy
from billing.debits.retry_now import send_now
from billing.gateways.registry import app_gateway
from billing.settings import current

log = structlog.get_logger("billing.casework")


def send_planned(batch_id: int, gateway: str) -> None:
    """Send the one-off attempt of ``batch_id`` (committed before: it exists before the gateway is
    asked). A failure here loses nothing: the batch's lease expires and a worker settles it (asking
    the gateway first when it was handed over), so the request still answers."""
    settings = current()
    try:
        send_now(
            db.engine(),
            app_gateway(gateway),
            batch_id,
            retry_policy(settings),
            f"web:{worker_name()}",
            timedelta(seconds=settings.lease_seconds),
        )
    except Exception:  # any failure of the send: logged, left to the workers (see above)
        log.exception("retry_send_failed", batch=batch_id)


def attempt_status(attempt_id: int) -> str:
    with db.engine().connect() as conn:
        return str(conn.execute(text("SELECT status FROM debit_attempt WHERE id = :a"), {"a": attempt_id}).scalar_one())


def commit_and_send(session: Session, outcome: Outcome) -> str | None:
    """For a request that planned a retry: commit it (the attempt exists before the gateway is asked),
    send it, and return the attempt's status; None when nothing was planned."""
    if outcome.status != "planned":
        return None
    db.commit(session)
    send_planned(outcome.detail["batch_id"], outcome.detail["gateway"])
    return attempt_status(outcome.detail["attempt_id"])
