"""Resolving is idempotent whatever came first: a batch resolved again, or after some of its attempts
were settled elsewhere (a webhook), posts, pays and tells each attempt exactly once."""

from datetime import date

from billing.debits.execution import charge_requests, load_attempts
from billing.debits.policy import from_settings
from billing.debits.resolve import ATTEMPT_COLUMNS, resolve
from billing.debits.service import start_debit_run
from billing.ledger.verify import verify
from schedulers import jobs
from tests.debits.world import World, enrol, rows

DAY = date(2024, 6, 5)


def test_resolving_again_or_after_a_webhook_changes_nothing(engine, settings) -> None:  # type: ignore[no-untyped-def]
    for method in ("sim_ok", "sim_ok", "sim_ok", "sim_insufficient_funds", "sim_insufficient_funds"):
        enrol(engine, date(2024, 6, 1), method)
    world = World.create(engine, settings, DAY)
    jobs.generate_contributions(world.ctx, DAY)
    start_debit_run(engine, settings, DAY)
    query = (
        f"SELECT {ATTEMPT_COLUMNS} FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id ORDER BY a.id"
    )
    attempts = load_attempts(engine, query, {})
    assert len(attempts) == 5
    results = world.gateway.charge_many(charge_requests(attempts))
    policy = from_settings(settings)
    first_ok = next(i for i, r in enumerate(results) if r.succeeded)
    first_failed = next(i for i, r in enumerate(results) if not r.succeeded)
    with engine.begin() as conn:  # what a webhook does: one attempt of each outcome, settled alone
        for i in (first_ok, first_failed):
            resolve(conn, [attempts[i]], [results[i]], DAY, policy)
    for _ in range(2):  # then the worker's whole batch, and a replay of it
        with engine.begin() as conn:
            resolve(conn, attempts, results, DAY, policy)

    assert rows(engine, "SELECT status, COUNT(*) FROM debit_attempt GROUP BY status ORDER BY status") == [
        ("failed", 2),
        ("succeeded", 3),
    ]
    assert rows(engine, "SELECT COUNT(*), SUM(amount) FROM ledger_transfer") == [(3, 3 * 16_800)]
    assert rows(engine, "SELECT COUNT(*) FROM notice WHERE kind = 'debit_failed'") == [(2,)]
    assert rows(engine, "SELECT COUNT(*) FROM contribution WHERE status = 'paid'") == [(3,)]
    with engine.connect() as conn:
        assert verify(conn).ok
