"""Failed-debit queue benchmark (issue 12): 1,000,000 debit attempts on PostgreSQL, written set-based
(INSERT ... SELECT generate_series), then the queue as finance uses it.

    python bench/finance_queue.py --attempts 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench_queue

Measured: a filtered queue page through the Flask test client, as JSON (``/api/v1/debit-attempts``) and
as HTML (``/staff/queue``), p95 over ``--requests`` requests with different filters and sorts; and the
CSV export (``/staff/queue.csv``) of a 100,000-row selection, in seconds and peak RSS growth. The
machine's load average is printed beside the figures (the machine is shared).

The data: three months of contributions per participant, each month's debit history drawn from its id:
72% paid at the first attempt, 8% at the second, 6% failed twice (retry scheduled), 6% three times,
4% four times (stopped: max attempts), 2% a hard failure (stopped), 1% unknown at the gateway, 1% failed
once and paid offline. About 19% of the months are in the queue; a tenth of those are assigned."""

import argparse
import os
import re
import resource
import secrets
import statistics
import time
from datetime import date, timedelta
from typing import Any

from database import fresh_database
from sqlalchemy import Engine, text

from billing import create_app
from billing.auth.models import Role
from billing.auth.service import create_user
from billing.db import make_engine, unit_of_work
from billing.failed_debits import sync
from billing.settings import Settings
from billing.timeutil import add_months, month_start

# The three months before this one: the queue's coverage dates and retry windows fall around today.
FIRST = add_months(month_start(date.today()), -3)
MONTHS = (FIRST, add_months(FIRST, 1), add_months(FIRST, 2))
PASSWORD = "bench-password-queue"
REGENCIES = ("19.71", "19.01", "19.02", "15.01", "15.04", "15.71", "16.71", "64.74")
# Attempts per contribution (on average), from the shares in the module docstring.
ATTEMPTS_PER_MONTH = 1.38

# The history of contribution ``c`` is drawn from h = c * 7919 % 100 (see the module docstring).
_H = "((c.id * 7919) % 100)"
_ATTEMPTS = f"""CASE WHEN {_H} < 72 THEN 1 WHEN {_H} < 80 THEN 2 WHEN {_H} < 86 THEN 2 WHEN {_H} < 92 THEN 3
                     WHEN {_H} < 96 THEN 4 WHEN {_H} < 99 THEN 1 ELSE 1 END"""
_SOFT = "(ARRAY['insufficient_funds','insufficient_funds','insufficient_funds','limit_exceeded','do_not_honor'])"
_HARD = "(ARRAY['account_closed','account_blocked','invalid_account','mandate_revoked'])"


def populate(engine: Engine, participants: int) -> None:
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(
            text("""
            INSERT INTO job_run (id, kind, run_date, status, planned, planned_through, started_at)
            SELECT (k - 1) * 4 + n, 'debit',
                   (CAST(:first AS DATE) + make_interval(months => k - 1, days => 14 + (n - 1) * 9))::date,
                   'completed', 0, 0, now()
            FROM generate_series(1, 3) k, generate_series(1, 4) n"""),
            {"first": MONTHS[0]},
        )
        conn.execute(
            text("""
            INSERT INTO api_user (id, name, role, created_at, failed_logins)
            SELECT g, 'Staf ' || g, 'finance', now(), 0 FROM generate_series(1, 5) g""")
        )
        conn.execute(
            text("""
            INSERT INTO sponsor (id, name, kind, budget_type, region_code, status, created_at)
            SELECT g, 'Sponsor ' || g, 'company', 'csr', '19.71', 'active', now() FROM generate_series(1, 10) g""")
        )
        conn.execute(
            text("""
            INSERT INTO participant (id, nik, full_name, phone, gender, birth_date, region_code, ecosystem, sector,
                sector_category, declared_income, jht, status, enrolment_source, enrolled_on, membership_from,
                created_at)
            SELECT g, replace(r.code, '.', '') || '01' || lpad((g % 1000000)::text, 10, '0'),
                   'Peserta ' || g, '+62812' || lpad(g::text, 8, '0'), 'L', '1990-01-01', r.code,
                   (ARRAY['desa','pasar','ecommerce_umkm','rentan'])[g % 4 + 1], 'pedagang', 'perdagangan',
                   1000000, false, CASE WHEN g % 7 = 0 THEN 'in_arrears' ELSE 'active' END, 'api',
                   '2025-12-01', '2026-01-01', now()
            FROM generate_series(1, :n) g
            JOIN (SELECT code, ordinality - 1 AS i FROM unnest(CAST(:regions AS VARCHAR[])) WITH ORDINALITY code) r
              ON r.i = g % :nr"""),
            {"n": participants, "regions": list(REGENCIES), "nr": len(REGENCIES)},
        )
        conn.execute(
            text("""
            INSERT INTO sponsor_member (sponsor_id, participant_id, joined_on, left_on)
            SELECT g % 10 + 1, g, '2025-01-01', '2025-12-01' FROM generate_series(1, :n) g WHERE g % 10 = 3"""),
            {"n": participants},
        )
        conn.execute(
            text("""
            INSERT INTO mandate (id, participant_id, gateway, payment_method, channel, display, debit_day, status,
                consent_at, consent_source, created_at, updated_at)
            SELECT g, g, CASE WHEN g % 5 = 0 THEN 'stripe' ELSE 'simulator' END, 'tok_' || g,
                   CASE WHEN g % 3 = 0 THEN 'ewallet' ELSE 'bank' END,
                   CASE WHEN g % 3 = 0 THEN (ARRAY['GoPay','OVO','DANA'])[g % 3 + 1]
                        ELSE (ARRAY['BRI','BNI','Mandiri','BCA'])[g % 4 + 1] END
                   || ' ••••' || lpad((g % 10000)::text, 4, '0'),
                   5, 'active', now(), 'api', now(), now()
            FROM generate_series(1, :n) g"""),
            {"n": participants},
        )
        conn.execute(
            text("""
            INSERT INTO contribution (id, participant_id, period, amount_due, due_date, status, payer, created_at)
            SELECT (g - 1) * 3 + k, g, (CAST(:first AS DATE) + make_interval(months => k - 1))::date,
                   CASE WHEN g % 4 = 0 THEN 36800 ELSE 16800 END,
                   (CAST(:first AS DATE) + make_interval(months => k - 1, days => 14))::date, 'due', 'self', now()
            FROM generate_series(1, :n) g, generate_series(1, 3) k"""),
            {"n": participants, "first": MONTHS[0]},
        )
        # Attempt n of contribution c: the last one decides (succeeded when h < 80 or, for h = 99, paid
        # offline after one failure); earlier ones failed with a soft code.
        conn.execute(
            text(f"""
            INSERT INTO debit_attempt (run_id, contribution_id, mandate_id, attempt_no, trigger, amount,
                idempotency_key, gateway, payment_method, status, failure_code, created_at, resolved_at)
            SELECT r.id, c.id, c.participant_id, n, CASE WHEN n = 1 THEN 'scheduled' ELSE 'retry' END, c.amount_due,
                   'ct' || c.id || '-' || n, m.gateway, m.payment_method, x.status, x.code,
                   c.due_date + (n - 1) * 9 + interval '6 hours', c.due_date + (n - 1) * 9 + interval '6 hours'
            FROM contribution c
            JOIN mandate m ON m.id = c.participant_id
            CROSS JOIN LATERAL generate_series(1, {_ATTEMPTS}) n
            CROSS JOIN LATERAL (SELECT
                CASE WHEN n < {_ATTEMPTS} OR {_H} >= 99 THEN 'failed'
                     WHEN {_H} < 80 THEN 'succeeded' WHEN {_H} = 98 THEN 'unknown' ELSE 'failed' END AS status,
                CASE WHEN n < {_ATTEMPTS} OR ({_H} >= 80 AND {_H} < 96) OR {_H} >= 99 THEN {_SOFT}[c.id % 5 + 1]
                     WHEN {_H} >= 96 AND {_H} < 98 THEN {_HARD}[c.id % 4 + 1] END AS code) x
            JOIN job_run r ON r.kind = 'debit' AND r.run_date = c.due_date + (n - 1) * 9""")
        )
        conn.execute(
            text(f"""
            UPDATE contribution c SET status = 'paid', amount_paid = amount_due, paid_on = due_date,
                paid_via = CASE WHEN {_H} = 99 THEN 'offline' ELSE 'debit' END
            WHERE {_H} < 80 OR {_H} = 99""")
        )
        conn.execute(
            text(f"""
            INSERT INTO debit_schedule (contribution_id, next_debit_on, attempts, stopped_reason, skipped)
            SELECT c.id,
                   CASE WHEN {_H} >= 80 AND {_H} < 92 THEN CURRENT_DATE + CAST(c.id % 30 AS INTEGER) END,
                   CASE WHEN {_H} < 80 THEN 1 ELSE {_ATTEMPTS} END,
                   CASE WHEN {_H} >= 92 AND {_H} < 96 THEN 'max_attempts'
                        WHEN {_H} >= 96 AND {_H} < 98 THEN {_HARD}[c.id % 4 + 1] END, 0
            FROM contribution c WHERE {_H} >= 72 AND {_H} <> 98""")
        )
        conn.execute(
            text(f"""
            INSERT INTO debit_unsettled (attempt_id, retry_at, checks)
            SELECT a.id, now(), 1 FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
            WHERE {_H} = 98""")
        )
        conn.execute(
            text("""
            INSERT INTO case_assignment (contribution_id, assignee_id, assigned_by, assigned_at)
            SELECT c.id, c.id % 5 + 1, 1, now() FROM contribution c
            WHERE c.status = 'due' AND c.id % 10 = 1""")
        )
        queued = sync.rebuild(conn)
        for table in ("participant", "mandate", "contribution", "debit_attempt", "sponsor", "api_user", "job_run"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    with engine.connect() as conn:
        attempts = conn.execute(text("SELECT COUNT(*) FROM debit_attempt")).scalar_one()
    print(
        f"populated {participants:,} participants, {attempts:,} attempts, {queued:,} months in the queue"
        f" in {time.perf_counter() - started:.1f}s"
    )


def sign_in(client: Any, user: str) -> None:
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    resp = client.post("/staff/login", data={"login": user, "password": PASSWORD, "csrf_token": token[1]})
    assert resp.status_code == 302, resp.status_code


def users(app: Any) -> tuple[dict[str, str], str]:
    """A finance token (the JSON requests) and a finance login (the pages), new at each run."""
    login = f"bench-{secrets.token_hex(4)}"
    with unit_of_work(app.extensions["billing.engine"]) as s:
        _, token = create_user(s, role=Role.finance, name="Bench API")
        create_user(s, role=Role.finance, name="Bench", username=login, password=PASSWORD, token=False)
    return {"Authorization": f"Bearer {token}"}, login


# Filters as finance would combine them: narrow and broad, every sort; the first five are the whole queue.
FILTERS: list[dict[str, Any]] = [
    {},
    {"sort": "amount", "order": "desc"},
    {"sort": "participant"},
    {"sort": "next_retry"},
    {"sort": "assignee", "order": "desc"},
    {"region": "19"},
    {"region": "19.71", "failure_class": "soft"},
    {"region": "15", "sort": "month", "order": "desc"},
    {"region": "64.74", "stopped": "true"},
    {"failure_class": "hard"},
    {"failure_code": "insufficient_funds", "sort": "attempt", "order": "desc"},
    {"failure_code": "limit_exceeded", "region": "15.04"},
    {"outcome": "unknown"},
    {"channel": "ewallet", "sort": "amount"},
    {"gateway": "stripe", "attempt_min": 3},
    {"attempt_min": 2, "attempt_max": 3, "sort": "failure"},
    {"attempt_max": 1, "region": "16.71"},
    {"amount_min": 30000},
    {"amount_max": 20000, "ecosystem": "desa"},
    {"ecosystem": "rentan", "channel": "bank", "sort": "region"},
    {"sponsor_id": 4},
    {"sponsor_id": 7, "failure_class": "soft"},
    {"assignee": "none", "sort": "coverage"},
    {"assignee": "me"},
    {"assignee": "2", "sort": "attempted", "order": "desc"},
    {"ends_within": 10},
    {"ends_within": 40, "region": "19.01"},
    {"ends_within": 75, "sort": "amount", "order": "desc"},
    {"stopped": "false", "sort": "next_retry", "order": "desc"},
    {"stopped": "true", "region": "15.71"},
    {"retry_from": "{today}", "retry_to": "{week}"},
    {"retry_from": "{week}", "sort": "next_retry"},
    {"attempted_from": "{m2}", "sort": "attempted"},
    {"attempted_to": "{m1}", "region": "19.02"},
    {"attempted_from": "{m1}", "attempted_to": "{m2}", "channel": "bank"},
    {"region": "15.01", "ecosystem": "pasar", "sort": "participant", "order": "desc"},
    {"region": "19", "assignee": "none", "failure_class": "soft", "sort": "coverage"},
    {"failure_code": "account_closed", "sort": "region"},
    {"failure_code": "do_not_honor", "amount_min": 20000},
    {"outcome": "failed", "sort": "contribution", "order": "desc"},
    {"channel": "bank", "gateway": "simulator", "attempt_min": 4},
    {"ecosystem": "ecommerce_umkm", "ends_within": 30},
    {"region": "64", "sort": "failure", "order": "desc"},
    {"region": "16", "failure_class": "hard", "sort": "participant"},
    {"amount_min": 16800, "amount_max": 16800, "sort": "month"},
    {"sponsor_id": 2, "sort": "participant"},
    {"assignee": "none", "region": "15.71", "stopped": "false"},
    {"limit": 200},
    {"limit": 200, "region": "19.71", "sort": "amount"},
    {"ends_within": 5, "assignee": "none", "sort": "amount", "order": "desc"},
]


def _dated(params: dict[str, Any]) -> dict[str, Any]:
    today = date.today()
    dates = {
        "{today}": today.isoformat(),
        "{week}": (today + timedelta(days=7)).isoformat(),
        "{m1}": (MONTHS[1] + timedelta(days=14)).isoformat(),
        "{m2}": (MONTHS[2] + timedelta(days=14)).isoformat(),
    }
    return {k: dates.get(v, v) if isinstance(v, str) else v for k, v in params.items()}


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def measure_pages(app: Any, headers: dict[str, str], login: str) -> dict[str, list[float]]:
    """Each filter as JSON and as HTML (the first page, and the second through its cursor for every
    fifth filter); milliseconds per request."""
    api, pages = app.test_client(), app.test_client()
    sign_in(pages, login)
    api.get("/api/v1/debit-attempts", headers=headers)  # connections and caches warm once
    pages.get("/staff/queue")
    times: dict[str, list[float]] = {"json": [], "html": []}
    for i, raw in enumerate(FILTERS):
        params = _dated(raw)
        started = time.perf_counter()
        resp = api.get("/api/v1/debit-attempts", query_string=params, headers=headers)
        times["json"].append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200, (params, resp.get_json())
        cursor = resp.get_json()["next_cursor"]
        started = time.perf_counter()
        page = pages.get("/staff/queue", query_string=params)
        times["html"].append((time.perf_counter() - started) * 1000)
        assert page.status_code == 200, (params, page.status_code)
        if i % 5 == 4 and cursor:
            started = time.perf_counter()
            more = api.get("/api/v1/debit-attempts", query_string=params | {"cursor": cursor}, headers=headers)
            assert more.status_code == 200
            times["json"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            assert pages.get("/staff/queue", query_string=params | {"cursor": cursor}).status_code == 200
            times["html"].append((time.perf_counter() - started) * 1000)
    return times


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_csv(app: Any, login: str) -> tuple[int, float, list[float], float]:
    """The export of about 100,000 rows, read as it streams: rows, seconds, the process's RSS (MB) at
    every 20,000 rows, and the growth of its peak RSS (MB)."""
    client = app.test_client()
    sign_in(client, login)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    resp = client.get("/staff/queue.csv", query_string=CSV_FILTER, buffered=False)
    assert resp.status_code == 200
    lines, samples = 0, [rss_mb()]
    for chunk in resp.response:
        lines += chunk.count(b"\n")
        if lines // 20_000 > len(samples) - 1:
            samples.append(rss_mb())
    resp.close()
    seconds = time.perf_counter() - started
    samples.append(rss_mb())
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - peak_before
    return lines - 1, seconds, samples, growth


# About 100,000 months: the failed (not unknown) ones at their first three attempts.
CSV_FILTER = {"outcome": "failed", "attempt_max": 3}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/billing_bench_queue")
    parser.add_argument("--keep", action="store_true", help="measure the database of an earlier run as it is")
    args = parser.parse_args()
    if not args.keep:
        fresh_database(args.database_url)
        populate(make_engine(args.database_url), round(args.attempts / ATTEMPTS_PER_MONTH / len(MONTHS)))
    app = create_app(Settings(database_url=args.database_url, log_level="WARNING", log_json=False))
    headers, login = users(app)
    with app.extensions["billing.engine"].connect() as conn:
        attempts = conn.execute(text("SELECT COUNT(*) FROM debit_attempt")).scalar_one()
        queued = conn.execute(text("SELECT COUNT(*) FROM failed_debit")).scalar_one()
    print(f"debit attempts    {attempts:,}   months in the queue {queued:,}")
    print(f"load average      {load()}   (1, 5, 15 min; 2 cores) before the pages")
    times = measure_pages(app, headers, login)
    for kind, samples in times.items():
        p50, top = statistics.median(samples), max(samples)
        print(
            f"{kind:5} page ms     p50 {p50:.0f}   p95 {p95(samples):.0f}   max {top:.0f}"
            f"   ({len(samples)} requests, {len(FILTERS)} filters)   (target p95 < 300)"
        )
    print(f"load average      {load()}   after the pages")
    rows, seconds, samples, growth = measure_csv(app, login)
    print(f"CSV rows          {rows:,}   ({CSV_FILTER})")
    print(f"CSV seconds       {seconds:.1f}   (target < 10)   {rows / seconds:,.0f} rows/s")
    print(f"CSV RSS MB        {' '.join(f'{m:.0f}' for m in samples)}   (every 20,000 rows)")
    print(f"CSV peak RSS +MB  {growth:.0f}")
    print(f"load average      {load()}   after the CSV")
    app.extensions["billing.engine"].dispose()


if __name__ == "__main__":
    main()
