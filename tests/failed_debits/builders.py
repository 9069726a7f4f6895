"""Months in the queue built row by row (participant, mandate, contribution, attempts, schedule), each
attribute chosen by the test, then the queue rebuilt for their participants as the hooks do."""

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, text

from billing.db import unit_of_work
from billing.failed_debits import sync
from billing.participants import service as participants
from billing.participants.schemas import ParticipantCreate
from tests.factories import participant_body

_mandates = itertools.count(1)


@dataclass
class Attempt:
    status: str = "failed"
    code: str | None = "insufficient_funds"
    on: date = date(2026, 3, 5)


@dataclass
class Month:
    name: str
    region: str = "19.71"
    ecosystem: str = "pasar"
    channel: str = "bank"
    gateway: str = "simulator"
    display: str = "BRI ••••1234"
    period: date = date(2026, 3, 1)
    amount: int = 16_800
    paid: int = 0
    attempts: list[Attempt] = field(default_factory=lambda: [Attempt()])
    next_retry: date | None = date(2026, 3, 14)
    stopped: str | None = None
    status: str = "due"
    # Unpaid months of the same participant before this one (no attempts): coverage ends earlier.
    older_unpaid: list[date] = field(default_factory=list)


def _run(conn: Any, on: date) -> int:
    found = conn.execute(text("SELECT id FROM job_run WHERE kind = 'debit' AND run_date = :d"), {"d": on}).scalar()
    if found is not None:
        return int(found)
    conn.execute(
        text(
            "INSERT INTO job_run (kind, run_date, status, planned, planned_through, started_at)"
            " VALUES ('debit', :d, 'completed', 0, 0, CURRENT_TIMESTAMP)"
        ),
        {"d": on},
    )
    return int(conn.execute(text("SELECT id FROM job_run WHERE kind = 'debit' AND run_date = :d"), {"d": on}).scalar())


def build(engine: Engine, m: Month) -> int:
    """The month's contribution id."""
    with unit_of_work(engine) as s:
        body = participant_body(full_name=m.name, region_code=m.region, nik_region=m.region, ecosystem=m.ecosystem)
        p = participants.enrol(s, ParticipantCreate(**body), date(2025, 12, 1))
        conn = s.connection()
        mid = 10_000 + next(_mandates)
        conn.execute(
            text(
                "INSERT INTO mandate (id, participant_id, gateway, payment_method, channel, display, debit_day, status,"
                " consent_at, consent_source, created_at, updated_at) VALUES (:id, :p, :g, 'tok', :ch, :disp, 5,"
                " 'active', CURRENT_TIMESTAMP, 'api', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": mid, "p": p.id, "g": m.gateway, "ch": m.channel, "disp": m.display},
        )
        insert = text(
            "INSERT INTO contribution (participant_id, period, amount_due, amount_paid, due_date, status, payer,"
            " created_at) VALUES (:p, :period, :due, :paid, :due_date, :status, 'self', CURRENT_TIMESTAMP)"
        )
        for older in m.older_unpaid:
            conn.execute(
                insert,
                {
                    "p": p.id,
                    "period": older,
                    "due": 16_800,
                    "paid": 0,
                    "due_date": older.replace(day=15),
                    "status": "due",
                },
            )
        conn.execute(
            insert,
            {
                "p": p.id,
                "period": m.period,
                "due": m.amount + m.paid,
                "paid": m.paid,
                "due_date": m.period.replace(day=15),
                "status": m.status,
            },
        )
        cid = int(
            conn.execute(
                text("SELECT id FROM contribution WHERE participant_id = :p AND period = :period"),
                {"p": p.id, "period": m.period},
            ).scalar_one()
        )
        for n, a in enumerate(m.attempts, start=1):
            conn.execute(
                text(
                    "INSERT INTO debit_attempt (run_id, contribution_id, mandate_id, attempt_no, trigger, amount,"
                    " idempotency_key, gateway, payment_method, status, failure_code, created_at)"
                    " VALUES (:run, :c, :m, :n, 'scheduled', :amount, :key, :g, 'tok', :st, :code, CURRENT_TIMESTAMP)"
                ),
                {
                    "run": _run(conn, a.on),
                    "c": cid,
                    "m": mid,
                    "n": n,
                    "amount": m.amount,
                    "key": f"ct{cid}-{n}",
                    "g": m.gateway,
                    "st": a.status,
                    "code": a.code,
                },
            )
        if m.attempts and (m.next_retry or m.stopped):
            conn.execute(
                text(
                    "INSERT INTO debit_schedule (contribution_id, next_debit_on, attempts, stopped_reason, skipped)"
                    " VALUES (:c, :next, :n, :stop, 0)"
                ),
                {"c": cid, "next": m.next_retry, "n": len(m.attempts), "stop": m.stopped},
            )
        sync.participants(conn, [p.id or 0])
        return cid


def build_all(engine: Engine, months: list[Month]) -> dict[str, int]:
    """Contribution ids by participant name."""
    return {m.name: build(engine, m) for m in months}
