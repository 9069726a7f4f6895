"""send_pending: claims unsent notices in batches, marks what was sent, and a failing notice neither
stops the batch nor gets sent twice."""

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from billing.db import make_engine, unit_of_work
from billing.notices import service
from billing.notices.models import Notice, NoticeKind
from billing.notices.senders import OutgoingNotice
from billing.notices.service import send_pending
from schedulers import jobs
from tests.debits.world import enrol

T0 = datetime(2024, 6, 5, 1, 0, tzinfo=UTC)
FAILED = {"code": "insufficient_funds", "amount": 16800, "period": "2024-06-01", "next_try": "2024-06-14"}
UPCOMING = {"amount": 16800, "period": "2024-06-01", "debit_on": "2024-06-05", "account": "BRI ••••1234"}


class Recorder:
    """A sender that records what it sends and refuses the notices it is told to."""

    def __init__(self, failing: Collection[int] = ()) -> None:
        self.failing = failing
        self.sent: list[tuple[OutgoingNotice, str]] = []

    def send(self, notice: OutgoingNotice, text: str) -> None:
        if notice.id in self.failing:
            raise RuntimeError(f"provider refused {notice.phone}")
        self.sent.append((notice, text))


def add(engine, participant_id: int, key: str, kind: NoticeKind, params: dict[str, Any]) -> int:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        n = Notice(participant_id=participant_id, kind=kind, dedupe_key=key, params=params)
        s.add(n)
        s.commit()
        assert n.id is not None
        return n.id


def state(engine) -> dict[int, tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as s:
        return {
            n.id: (n.sent_at is not None, n.attempts, n.last_error, n.retry_at)
            for n in s.exec(select(Notice)).all()
            if n.id is not None
        }


def as_utc(value: datetime | None) -> datetime | None:
    # SQLite gives the stored UTC time back without its zone.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@pytest.fixture
def pid(engine) -> int:  # type: ignore[no-untyped-def]
    return enrol(engine, T0.date(), None)


def test_sends_renders_and_marks_sent(engine, pid) -> None:  # type: ignore[no-untyped-def]
    first = add(engine, pid, "a", NoticeKind.debit_upcoming, UPCOMING)
    second = add(engine, pid, "b", NoticeKind.debit_failed, FAILED)
    sender = Recorder()
    assert send_pending(engine, sender, 10, now=T0) == 2
    assert [(n.id, n.kind, n.phone, n.dedupe_key) for n, _ in sender.sent] == [
        (first, "debit_upcoming", "+6281234567890", "a"),
        (second, "debit_failed", "+6281234567890", "b"),
    ]
    assert sender.sent[1][1].startswith("Penarikan iuran BPJS Ketenagakerjaan Juni 2024 sebesar Rp16.800 gagal.")
    assert state(engine) == {first: (True, 1, None, None), second: (True, 1, None, None)}
    assert send_pending(engine, sender, 10, now=T0 + timedelta(hours=1)) == 0
    assert len(sender.sent) == 2


def test_a_failing_item_is_isolated_and_retried_later(engine, pid) -> None:  # type: ignore[no-untyped-def]
    ids = [add(engine, pid, f"k{i}", NoticeKind.debit_failed, FAILED) for i in range(3)]
    broken = add(engine, pid, "broken", NoticeKind.coverage_at_risk, {})  # cannot be rendered
    sender = Recorder(failing={ids[1]})
    assert send_pending(engine, sender, 10, now=T0, retry_minutes=5) == 2
    assert [n.id for n, _ in sender.sent] == [ids[0], ids[2]]
    got = state(engine)
    assert got[ids[0]][:3] == (True, 1, None) and got[ids[2]][:3] == (True, 1, None)
    sent_flag, attempts, error, retry_at = got[ids[1]]
    assert (sent_flag, attempts) == (False, 1)
    assert error == "RuntimeError: provider refused +62812******90"  # no phone number in clear, even here
    assert as_utc(retry_at) == T0 + timedelta(minutes=5)
    assert got[broken][:2] == (False, 1) and got[broken][2].startswith("ValueError")

    # Not due yet: nothing is tried again.
    assert send_pending(engine, Recorder(), 10, now=T0 + timedelta(minutes=4)) == 0
    # Second failure: the delay doubles.
    assert send_pending(engine, Recorder(failing={ids[1]}), 10, now=T0 + timedelta(minutes=5)) == 0
    assert as_utc(state(engine)[ids[1]][3]) == T0 + timedelta(minutes=15)
    healthy = Recorder()
    assert send_pending(engine, healthy, 10, now=T0 + timedelta(minutes=15)) == 1
    assert [n.id for n, _ in healthy.sent] == [ids[1]]
    assert state(engine)[ids[1]] == (True, 3, None, None)


def test_gives_up_after_max_attempts(engine, pid) -> None:  # type: ignore[no-untyped-def]
    nid = add(engine, pid, "k", NoticeKind.debit_failed, FAILED)
    at = T0
    for _ in range(3):
        send_pending(engine, Recorder(failing={nid}), 10, now=at, max_attempts=3, retry_minutes=1)
        at += timedelta(days=1)
    assert state(engine)[nid][:2] == (False, 3)
    healthy = Recorder()
    assert send_pending(engine, healthy, 10, now=at, max_attempts=3) == 0
    assert healthy.sent == []


def test_batches_and_limit(engine, pid, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    ids = [add(engine, pid, f"k{i}", NoticeKind.debit_failed, FAILED) for i in range(5)]
    sender = Recorder()
    assert send_pending(engine, sender, 3, now=T0) == 3
    assert send_pending(engine, sender, 10, now=T0) == 2
    assert [n.id for n, _ in sender.sent] == ids


def test_concurrent_senders_skip_locked_rows(pg_url: str) -> None:
    # PostgreSQL only: FOR UPDATE SKIP LOCKED; SQLite has a single writer.
    engine = make_engine(pg_url)
    pid = enrol(engine, date(2024, 6, 1), None)
    locked, free = (add(engine, pid, k, NoticeKind.debit_failed, FAILED) for k in ("locked", "free"))
    with engine.connect() as other:
        other.execute(text("SELECT id FROM notice WHERE id = :i FOR UPDATE"), {"i": locked})  # another sender
        sender = Recorder()
        assert send_pending(engine, sender, 10, now=T0) == 1
        assert [n.id for n, _ in sender.sent] == [free]
        other.rollback()
    assert send_pending(engine, sender, 10, now=T0) == 1
    assert [n.id for n, _ in sender.sent] == [free, locked]
    engine.dispose()


def test_the_scheduled_job_uses_the_configured_sender(engine, settings, pid) -> None:  # type: ignore[no-untyped-def]
    add(engine, pid, "a", NoticeKind.debit_failed, FAILED)
    assert jobs.send_notices(jobs.JobContext(settings, engine)) == 1
    assert [sent for sent, *_ in state(engine).values()] == [True]
