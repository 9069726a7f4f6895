"""Report benchmark: N participants spread over every regency with 12 months (2024) of coverage
history, all written set-based in PostgreSQL (generate_series); then the monthly snapshot is built
and a regency's reports and the national ones are timed (median of several runs) and printed.

    python bench/reports.py --participants 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Who does what (a participant's story is drawn from a hash of its id, so every run is the same):
  60% pay every month; 15% fall into arrears in about 3 months in 10 and pay on the 25th;
  10% lapse in a random month (insufficient funds, account closed or blocked, mandate revoked, no
  payment), end three months later, a third of them re-register two months after that; 5% cancel;
  5% are paid by one of 500 sponsors, of which every fifth stops paying in some month; 5% never pay.
Enrolment dates run from January 2023 to October 2024, so new cohorts arrive through the year.

The database is dropped and created anew, with the migrations applied, at each run."""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

from database import fresh_database
from sqlalchemy import text

from billing.db import make_engine
from billing.reports import service, snapshot

TODAY = date(2025, 1, 15)
HISTORY = (date(2023, 12, 1), date(2024, 12, 1))  # the opening month and the twelve of 2024
SPONSORS = 500


# Each statement is one set-based step; :n is the number of participants.
POPULATE = {
    "participants": """
        INSERT INTO participant (id, nik, full_name, phone, gender, birth_date, region_code, ecosystem, sector,
            sector_category, declared_income, jht, status, enrolment_source, enrolled_on, membership_from, created_at)
        SELECT g, lpad(g::text, 16, '0'), 'Peserta ' || g, '+62812' || lpad((g % 100000000)::text, 8, '0'), 'L',
               DATE '1990-01-01', r.code, (ARRAY['desa', 'pasar', 'ecommerce_umkm', 'rentan'])[1 + g % 4],
               'pedagang', 'perdagangan', 1000000, false, 'active', 'api',
               DATE '2023-01-01' + ((g::bigint * 7919) % 640)::int,
               date_trunc('month', DATE '2023-01-01' + ((g::bigint * 7919) % 640)::int)::date, now()
        FROM generate_series(1, :n) g
        JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS i FROM region WHERE level = 2) r
          ON r.i = g % (SELECT COUNT(*) FROM region WHERE level = 2)""",
    "stories": """
        CREATE TABLE bench_story AS
        SELECT id, enrolled_on, enrolled_on + 10 AS active_on, story,
               CASE WHEN story = 'E' THEN 1 + id % :sponsors END AS sponsor_id,
               GREATEST(DATE '2024-01-01' + make_interval(months => (abs(hashint8(id * 7 + 1)) % 12)::int),
                        date_trunc('month', enrolled_on + 10) + INTERVAL '1 month')::date AS lapse_month,
               (ARRAY['insufficient_funds', 'insufficient_funds', 'insufficient_funds', 'account_closed',
                      'account_blocked', 'mandate_revoked', 'no_payment'])[1 + abs(hashint8(id * 7 + 2)) % 7] AS cause
        FROM (SELECT id, enrolled_on,
                     CASE WHEN h < 60 THEN 'A' WHEN h < 75 THEN 'B' WHEN h < 85 THEN 'C'
                          WHEN h < 90 THEN 'D' WHEN h < 95 THEN 'E' ELSE 'F' END AS story
              FROM (SELECT id, enrolled_on, abs(hashint8(id::bigint)) % 100 AS h FROM participant) x) s""",
    "sponsors": """
        INSERT INTO sponsor (id, name, kind, budget_type, region_code, status, stopped_on, stop_reason, created_at)
        SELECT s, 'Sponsor ' || s, CASE WHEN s % 2 = 0 THEN 'pemda' ELSE 'company' END,
               CASE WHEN s % 2 = 0 THEN 'apbd' ELSE 'csr' END, '19.71',
               CASE WHEN s % 5 = 0 THEN 'stopped' ELSE 'active' END,
               CASE WHEN s % 5 = 0 THEN DATE '2024-01-10' + make_interval(months => s % 12) END,
               CASE WHEN s % 5 = 0 THEN 'bench' END, now()
        FROM generate_series(1, :sponsors) s""",
    "sponsor members": """
        INSERT INTO sponsor_member (sponsor_id, participant_id, joined_on, left_on)
        SELECT b.sponsor_id, b.id, b.enrolled_on, CASE WHEN sp.stopped_on > b.enrolled_on THEN sp.stopped_on END
        FROM bench_story b JOIN sponsor sp ON sp.id = b.sponsor_id""",
    "mandates": """
        INSERT INTO mandate (id, participant_id, gateway, payment_method, channel, display, debit_day, status,
            consent_at, consent_source, created_at, updated_at)
        SELECT id, id, 'simulator', 'sim_ok', CASE WHEN id % 5 = 0 THEN 'ewallet' ELSE 'bank' END, 'BANK ••••0000',
               1 + id % 28, 'active', now(), 'api', now(), now()
        FROM bench_story WHERE story IN ('A', 'B', 'C', 'D') AND id % 10 <> 0""",
    "events": """
        INSERT INTO coverage_event (participant_id, occurred_on, kind, from_status, to_status, cause, created_at)
        SELECT participant_id, occurred_on, kind, from_status, to_status, cause, now() FROM (
            SELECT id AS participant_id, enrolled_on AS occurred_on, 'enrolled' AS kind, NULL AS from_status,
                   'registered' AS to_status, NULL AS cause FROM bench_story
            UNION ALL
            SELECT id, enrolled_on + 100, 'ended', 'registered', 'ended', 'no_payment'
            FROM bench_story WHERE story = 'F' AND enrolled_on + 100 <= DATE '2024-12-31'
            UNION ALL
            SELECT id, active_on, 'activated', 'registered', 'active', NULL
            FROM bench_story WHERE story <> 'F' AND active_on <= DATE '2024-12-31'
            UNION ALL
            SELECT b.id, (m + INTERVAL '15 days')::date, e.kind, e.from_status, e.to_status, e.cause
            FROM bench_story b
            CROSS JOIN generate_series(DATE '2024-01-01', DATE '2024-12-01', INTERVAL '1 month') m
            CROSS JOIN (VALUES ('entered_arrears', 'active', 'in_arrears', 'insufficient_funds'))
                e(kind, from_status, to_status, cause)
            WHERE b.story = 'B' AND m > b.active_on AND abs(hashint8(b.id * 13 + EXTRACT(MONTH FROM m)::int)) % 10 < 3
            UNION ALL
            SELECT b.id, (m + INTERVAL '24 days')::date, 'recovered', 'in_arrears', 'active', NULL
            FROM bench_story b
            CROSS JOIN generate_series(DATE '2024-01-01', DATE '2024-12-01', INTERVAL '1 month') m
            WHERE b.story = 'B' AND m > b.active_on AND abs(hashint8(b.id * 13 + EXTRACT(MONTH FROM m)::int)) % 10 < 3
            UNION ALL
            SELECT id, lapse_month + 15, 'entered_arrears', 'active', 'in_arrears', cause
            FROM bench_story WHERE story = 'C' AND lapse_month <= DATE '2024-12-01'
            UNION ALL
            SELECT id, (lapse_month + INTERVAL '3 months 15 days')::date, 'ended', 'in_arrears', 'ended', cause
            FROM bench_story WHERE story = 'C' AND lapse_month + INTERVAL '3 months 15 days' <= DATE '2024-12-31'
            UNION ALL
            SELECT id, (lapse_month + INTERVAL '5 months 5 days')::date, 'reactivated', 'ended', 'active', NULL
            FROM bench_story WHERE story = 'C' AND id % 3 = 0
              AND lapse_month + INTERVAL '5 months 5 days' <= DATE '2024-12-31'
            UNION ALL
            SELECT id, lapse_month + 20, 'cancelled', 'active', 'cancelled', 'voluntary'
            FROM bench_story WHERE story = 'D' AND lapse_month <= DATE '2024-12-01'
            UNION ALL
            SELECT b.id, sp.stopped_on, 'sponsor_stopped', 'active', 'ended', 'sponsor_stopped'
            FROM bench_story b JOIN sponsor sp ON sp.id = b.sponsor_id
            WHERE sp.stopped_on > b.active_on AND sp.stopped_on <= DATE '2024-12-31'
        ) e
        ORDER BY participant_id, occurred_on""",
    "contributions": """
        INSERT INTO contribution (participant_id, period, amount_due, due_date, status, payer, sponsor_id,
            paid_via, paid_on, created_at)
        SELECT b.id, m::date, 16800, (m + INTERVAL '14 days')::date,
               CASE WHEN b.story = 'C' AND m >= b.lapse_month THEN 'due' ELSE 'paid' END,
               CASE WHEN b.story <> 'E' THEN 'self'
                    WHEN b.sponsor_id % 2 = 0 THEN 'sponsor_apbd' ELSE 'sponsor_csr' END,
               b.sponsor_id,
               CASE WHEN b.story = 'C' AND m >= b.lapse_month THEN NULL
                    WHEN b.story = 'E' THEN 'sponsor' ELSE 'debit' END,
               CASE WHEN b.story = 'C' AND m >= b.lapse_month THEN NULL ELSE (m + INTERVAL '4 days')::date END,
               now()
        FROM bench_story b
        CROSS JOIN generate_series(DATE '2024-01-01', DATE '2024-12-01', INTERVAL '1 month') m
        WHERE b.story <> 'F' AND m >= date_trunc('month', b.enrolled_on)
          AND NOT (b.story = 'C' AND m > b.lapse_month + INTERVAL '3 months')
          AND NOT (b.story = 'D' AND m > b.lapse_month)""",
    "attempts": """
        INSERT INTO debit_attempt (run_id, contribution_id, mandate_id, attempt_no, trigger, amount, idempotency_key,
            gateway, payment_method, status, failure_code, created_at)
        SELECT 1, c.id, m.id, n, CASE WHEN n = 1 THEN 'scheduled' ELSE 'retry' END, 16800,
               'ct' || c.id || '-' || n, 'simulator', 'sim_ok',
               CASE WHEN c.status = 'due' OR (b.story = 'B' AND n < 3 AND arrears) THEN 'failed' ELSE 'succeeded' END,
               CASE WHEN c.status = 'due' THEN b.cause WHEN b.story = 'B' AND n < 3 AND arrears
                    THEN 'insufficient_funds' END,
               now()
        FROM (SELECT c.*, abs(hashint8(c.participant_id * 13 + EXTRACT(MONTH FROM c.period)::int)) % 10 < 3 AS arrears
              FROM contribution c) c
        JOIN bench_story b ON b.id = c.participant_id
        JOIN mandate m ON m.participant_id = c.participant_id
        CROSS JOIN generate_series(1, 4) n
        WHERE c.payer = 'self'
          AND (n = 1
               OR (c.status = 'due' AND b.cause = 'insufficient_funds')
               OR (b.story = 'B' AND c.arrears AND n <= 3))""",
}


def populate(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        for name, sql in POPULATE.items():
            started = time.perf_counter()
            result = conn.execute(text(sql), {"n": n, "sponsors": SPONSORS})
            rows = f"{result.rowcount:,} rows" if result.rowcount >= 0 else ""
            print(f"  {name:<16} {time.perf_counter() - started:6.1f}s {rows}", flush=True)
        conn.execute(text("DROP TABLE bench_story"))
        for table in ("participant", "mandate", "sponsor"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/billing_bench")
    parser.add_argument("--regency", default="19.71")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="Reuse the populated database of an earlier run")
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    if not args.keep:
        fresh_database(args.database_url)
        print(f"populating {args.participants:,} participants")
        started = time.perf_counter()
        populate(engine, args.participants)
        print(f"populated in {time.perf_counter() - started:.1f}s")
    with engine.connect() as conn:
        events = conn.execute(text("SELECT COUNT(*) FROM coverage_event")).scalar_one()
        contributions = conn.execute(text("SELECT COUNT(*) FROM contribution")).scalar_one()
        attempts = conn.execute(text("SELECT COUNT(*) FROM debit_attempt")).scalar_one()
    print(f"events {events:,}  contributions {contributions:,}  debit attempts {attempts:,}")

    started = time.perf_counter()
    months = snapshot.refresh(engine, *HISTORY, TODAY)
    build = time.perf_counter() - started
    print(f"snapshot: {len(months)} months in {build:.1f}s ({build / len(months):.1f}s a month)")

    cases = {
        f"churn {args.regency} 2024-01..2024-12": lambda: service.churn_report(
            engine, args.regency, "2024-01", "2024-12", TODAY
        ),
        f"coverage {args.regency} 2024-01..2024-12": lambda: service.coverage_report(
            engine, args.regency, "2024-01", "2024-12", TODAY
        ),
        "churn national 2024-01..2024-12": lambda: service.churn_report(engine, None, "2024-01", "2024-12", TODAY),
        "coverage national 2024-01..2024-12": lambda: service.coverage_report(
            engine, None, "2024-01", "2024-12", TODAY
        ),
    }
    results = {}
    for name, fn in cases.items():
        fn()  # warm the connection pool and the caches once
        seconds, results[name] = timed(fn, args.runs)
        target = 1.0 if args.regency in name else 3.0
        print(f"{name:<40} median {seconds * 1000:7.1f} ms over {args.runs} runs (target < {target:.0f} s)")
    for name in (f"churn {args.regency} 2024-01..2024-12", "churn national 2024-01..2024-12"):
        report = results[name]
        w = report.waterfall  # type: ignore[attr-defined]
        print(f"\n{name}: " + ", ".join(f"{s.key} {s.count:,}" for s in w.steps))
        print(f"  check: balanced={w.check.balanced}, difference {w.check.difference}")
        print(f"  {report.explanation.en}")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
