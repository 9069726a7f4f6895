"""Debit run benchmark: N active mandates with due contributions, one debit run with the in-process
bank simulator (about 10% failing), and in the same process the database floor: COPY of N attempt
rows plus one set-based UPDATE of N contribution rows. Prints run seconds, charges per second, floor
seconds, the ratio run/floor and peak RSS.

    python bench/debit_run.py --mandates 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench

The database is dropped and created anew, with the migrations applied, at each run."""

import argparse
import resource
import time
from datetime import date

from database import fresh_database
from sqlalchemy import text

from billing.db import make_engine
from billing.debits.execution import DayClock
from billing.debits.service import run_debits
from billing.gateways.registry import load_gateway
from billing.settings import Settings

DAY = date(2024, 6, 5)
PERIOD = date(2024, 6, 1)


def populate(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    """N participants, each with an active mandate on the run day and one due contribution."""
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_floor_attempt (LIKE debit_attempt INCLUDING ALL)"))
        conn.execute(
            text("""
            INSERT INTO participant (id, nik, full_name, phone, gender, birth_date, region_code, ecosystem, sector,
                sector_category, declared_income, jht, status, enrolment_source, enrolled_on, membership_from,
                created_at)
            SELECT g, lpad(g::text, 16, '0'), 'Peserta ' || g, '+62812' || lpad(g::text, 8, '0'), 'L', '1990-01-01',
                   '19.71', 'pasar', 'pedagang', 'perdagangan', 1000000, false, 'active', 'api', '2024-01-01',
                   '2024-01-01', now()
            FROM generate_series(1, :n) g"""),
            {"n": n},
        )
        # One in ten accounts has no money: about 10% of charges fail.
        conn.execute(
            text("""
            INSERT INTO mandate (id, participant_id, gateway, payment_method, channel, display, debit_day, status,
                consent_at, consent_source, created_at, updated_at)
            SELECT g, g, 'simulator', CASE WHEN g % 10 = 0 THEN 'sim_insufficient_funds' ELSE 'sim_ok' END,
                   'bank', 'BRI ••••' || lpad((g % 10000)::text, 4, '0'), :day, 'active', now(), 'api', now(), now()
            FROM generate_series(1, :n) g"""),
            {"n": n, "day": DAY.day},
        )
        conn.execute(
            text("""
            INSERT INTO contribution (id, participant_id, period, amount_due, due_date, status, payer, created_at)
            SELECT g, g, :period, 16800, '2024-06-17', 'due', 'self', now() FROM generate_series(1, :n) g"""),
            {"n": n, "period": PERIOD},
        )
        for table in ("participant", "mandate", "contribution"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": n})
        conn.execute(text("ANALYZE"))
    print(f"populated {n:,} mandates in {time.perf_counter() - started:.1f}s")


def floor(engine, n: int) -> float:  # type: ignore[no-untyped-def]
    """The least any run must do: write N attempt rows (COPY) and mark N contributions (one UPDATE)."""
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        with raw.cursor() as cur:
            with cur.copy(
                "COPY bench_floor_attempt (id, run_id, contribution_id, mandate_id, attempt_no, trigger, amount,"
                " idempotency_key, gateway, payment_method, status, created_at) FROM STDIN"
            ) as copy:
                now = "2024-06-05T06:00:00+07:00"
                for i in range(1, n + 1):
                    copy.write_row(
                        (i, 1, i, i, 1, "scheduled", 16800, f"ct{i}-1", "simulator", "sim_ok", "succeeded", now)
                    )
            cur.execute("UPDATE contribution SET paid_on = due_date")
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def run(engine, settings: Settings, threads: int) -> float:  # type: ignore[no-untyped-def]
    """The run as ``billing debit run`` does it: planned in chunks while worker threads charge."""
    clock = DayClock(DAY)
    gateway = load_gateway("simulator", clock=clock)
    started = time.perf_counter()
    run_debits(engine, settings, gateway, clock, DAY, threads=threads)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mandates", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/billing_bench")
    parser.add_argument("--threads", type=int, default=2, help="worker threads sharing the run")
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()

    fresh_database(args.database_url)
    settings = Settings(database_url=args.database_url, debit_batch_size=args.batch_size, log_level="WARNING")
    engine = make_engine(args.database_url)
    populate(engine, args.mandates)
    run_s = run(engine, settings, args.threads)
    with engine.connect() as conn:
        outcomes = dict(conn.execute(text("SELECT status, COUNT(*) FROM debit_attempt GROUP BY status")).all())
    floor_s = floor(engine, args.mandates)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mandates          {args.mandates:,}")
    print(f"outcomes          {outcomes}")
    print(f"run seconds       {run_s:.2f}")
    print(f"charges/second    {args.mandates / run_s:,.0f}")
    print(f"floor seconds     {floor_s:.2f}")
    print(f"ratio run/floor   {run_s / floor_s:.2f}   (target <= 2.75)")
    print(f"peak RSS MB       {rss_mb:.0f}   (target <= 500)")


if __name__ == "__main__":
    main()
