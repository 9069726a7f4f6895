"""Migration 0014 moves debit days past the due date (the 15th) to the 15th and tells each worker once;
the database then refuses a later day."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from billing.migrations import alembic_config, upgrade
from billing.notices.texts import render
from tests.conftest import BACKENDS, new_pg_database

_PARTICIPANT = """
INSERT INTO participant (id, nik, full_name, phone, gender, birth_date, region_code, ecosystem, sector,
    sector_category, declared_income, jht, status, enrolment_source, enrolled_on, created_at)
VALUES (:id, :nik, 'Siti Aminah', '+6281234567890', 'P', '1995-08-15', '19.71', 'pasar', 'pedagang pasar',
    'perdagangan', 1000000, :f, 'active', 'api', '2024-01-10', CURRENT_TIMESTAMP)
"""
_MANDATE = """
INSERT INTO mandate (id, participant_id, gateway, payment_method, channel, display, debit_day, status,
    consent_at, consent_source, created_at, updated_at)
VALUES (:id, :pid, 'simulator', 'sim_ok', 'bank', :display, :day, 'active', CURRENT_TIMESTAMP, 'api',
    CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
"""


@pytest.fixture(params=BACKENDS)
def url_at_0011(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    def at_0011(url: str) -> str:
        command.upgrade(alembic_config(url), "0011")
        return url

    if request.param == "sqlite":
        yield at_0011(f"sqlite:///{tmp_path / 'debit_days.sqlite3'}")
        return
    with new_pg_database("billing_debit_day") as url:
        yield at_0011(url)


def test_days_after_the_15th_move_to_it_with_one_notice_each(url_at_0011: str) -> None:
    engine = create_engine(url_at_0011)
    try:
        with engine.begin() as conn:
            for pid, day in ((1, 28), (2, 15), (3, 3)):
                conn.execute(text(_PARTICIPANT), {"id": pid, "nik": f"197101550895000{pid}", "f": False})
                conn.execute(text(_MANDATE), {"id": pid, "pid": pid, "display": f"BRI ••••000{pid}", "day": day})
        upgrade(url_at_0011)
        upgrade(url_at_0011)  # a second run changes nothing
        with engine.connect() as conn:
            days = dict(conn.execute(text("SELECT id, debit_day FROM mandate")).all())
            notices = conn.execute(text("SELECT participant_id, kind, dedupe_key, params FROM notice")).all()
        assert days == {1: 15, 2: 15, 3: 3}
        [(pid, kind, key, params)] = notices
        params = params if isinstance(params, dict) else json.loads(params)
        assert (pid, kind, key, params) == (
            1,
            "debit_day_moved",
            "debit_day_moved:1",
            {"old_day": 28, "new_day": 15, "account": "BRI ••••0001"},
        )
        message = render(kind, params)
        assert message.startswith("Iuran BPJS Ketenagakerjaan jatuh tempo tanggal 15")
        assert "dipindah dari tanggal 28 ke tanggal 15" in message
        assert "moves from day 28 to day 15" in message
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE mandate SET debit_day = 16 WHERE id = 3"))
    finally:
        engine.dispose()
