"""Two transactions rebuilding one participant's queue rows at once (two debit batches with two of their
months, a batch and a receipt) take turns: no duplicate row, and the result is what the second saw."""

import threading
from datetime import date

from sqlalchemy import create_engine, text

from billing.failed_debits import sync
from tests.failed_debits.builders import Month, build


def test_rebuilding_one_participant_at_once_takes_turns(pg_url: str) -> None:
    engine = create_engine(pg_url)
    cid = build(engine, Month("Ani", period=date(2026, 2, 1), older_unpaid=[date(2026, 1, 1)]))
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT participant_id FROM contribution WHERE id = :c"), {"c": cid}).scalar_one()
    errors: list[BaseException] = []
    first = engine.connect()
    trans = first.begin()
    # The first pays January and rebuilds, and holds its transaction open.
    first.execute(
        text(
            "UPDATE contribution SET status = 'paid', amount_paid = amount_due"
            " WHERE participant_id = :p AND period = :m"
        ),
        {"p": pid, "m": date(2026, 1, 1)},
    )
    sync.participants(first, [pid])

    def second() -> None:
        try:
            with engine.begin() as conn:
                sync.participants(conn, [pid])
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=2)
    assert thread.is_alive(), "the second rebuild waits for the first"
    trans.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == []
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT contribution_id, unpaid_from FROM failed_debit")).all()
    assert rows == [(cid, date(2026, 2, 1))]  # January paid: coverage now counts from February
    engine.dispose()
