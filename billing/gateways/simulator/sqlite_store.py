"""A SQLite-file store, so several processes share one simulated bank (and a killed worker's charges
survive it). The idempotency key is the primary key and each charge is one ``BEGIN IMMEDIATE``
transaction: two processes replaying one key serialise on the write lock, and the second finds the
first one's record instead of debiting again."""

import json
import os
import sqlite3
import threading
from datetime import date
from pathlib import Path

from billing.gateways.base import ChargeStatus
from billing.gateways.simulator.store import ChargeRecord, Decide, ReversalRecord, SetupRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS sim_charge (
    idempotency_key TEXT PRIMARY KEY,
    payment_method TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    day TEXT NOT NULL,
    cycle_start TEXT NOT NULL,
    raw_code TEXT NOT NULL,
    status TEXT NOT NULL,
    failure_code TEXT,
    gateway_reference TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sim_charge_method ON sim_charge (payment_method, status);
CREATE TABLE IF NOT EXISTS sim_cycle_debit (
    payment_method TEXT NOT NULL,
    cycle_start TEXT NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (payment_method, cycle_start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sim_reversal (
    key TEXT PRIMARY KEY,
    charge_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    day TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sim_setup (
    reference TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sim_attempt (
    idempotency_key TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL
) WITHOUT ROWID;
"""

_RECORD_COLUMNS = "idempotency_key, payment_method, amount, currency, day, cycle_start, raw_code"
_ALL_COLUMNS = _RECORD_COLUMNS + ", status, failure_code, gateway_reference, message"
_INSERT = f"INSERT INTO sim_charge ({_ALL_COLUMNS}) VALUES ({', '.join('?' * len(_ALL_COLUMNS.split(',')))})"
_SELECT_ONE = f"SELECT {_RECORD_COLUMNS} FROM sim_charge WHERE idempotency_key = ?"
_SUCCEEDED = ChargeStatus.succeeded.value


def _record(row: tuple) -> ChargeRecord:
    key, method, amount, currency, day, cycle_start, raw_code = row
    return ChargeRecord(
        key, method, amount, currency, date.fromisoformat(day), date.fromisoformat(cycle_start), raw_code
    )


def _row(r: ChargeRecord) -> tuple:
    # status, failure_code, reference and message are stored for whoever opens the file; reads use raw_code.
    res = r.result
    code = res.failure_code.value if res.failure_code else None
    return (
        r.idempotency_key,
        r.payment_method,
        r.amount,
        r.currency,
        r.day.isoformat(),
        r.cycle_start.isoformat(),
        r.raw_code,
        res.status.value,
        code,
        res.gateway_reference,
        res.message,
    )


class SqliteStore:
    def __init__(self, path: str | Path, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._conn().executescript(SCHEMA)  # IF NOT EXISTS: several processes may open the bank at once

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread and per process: a connection must not cross a fork.
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL loses nothing when a process is killed, only on power loss; that is enough for a simulator.
        conn.execute("PRAGMA synchronous=NORMAL")
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def get(self, idempotency_key: str) -> ChargeRecord | None:
        found = self._conn().execute(_SELECT_ONE, (idempotency_key,)).fetchone()
        return _record(found) if found else None

    def settle(
        self, idempotency_key: str, payment_method: str, cycle_start: date, decide: Decide
    ) -> tuple[ChargeRecord, bool]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute(_SELECT_ONE, (idempotency_key,)).fetchone()
            if found:
                conn.execute("COMMIT")
                return _record(found), False
            cycle = (payment_method, cycle_start.isoformat())
            debited = conn.execute(
                "SELECT amount FROM sim_cycle_debit WHERE payment_method = ? AND cycle_start = ?", cycle
            ).fetchone()
            record = decide(debited[0] if debited else 0)
            conn.execute(_INSERT, _row(record))
            if record.moved_money:
                conn.execute(
                    "INSERT INTO sim_cycle_debit VALUES (?, ?, ?) ON CONFLICT (payment_method, cycle_start)"
                    " DO UPDATE SET amount = amount + excluded.amount",
                    (*cycle, record.amount),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return record, True

    def next_attempt(self, idempotency_key: str) -> int:
        row = self._conn().execute(
            "INSERT INTO sim_attempt VALUES (?, 1) ON CONFLICT (idempotency_key)"
            " DO UPDATE SET attempts = attempts + 1 RETURNING attempts",
            (idempotency_key,),
        )
        return row.fetchone()[0] - 1

    def debits(self, payment_method: str) -> int:
        row = self._conn().execute(
            "SELECT count(*) FROM sim_charge WHERE payment_method = ? AND status = ?", (payment_method, _SUCCEEDED)
        )
        return row.fetchone()[0]

    def total_debited(self) -> int:
        row = self._conn().execute("SELECT coalesce(sum(amount), 0) FROM sim_charge WHERE status = ?", (_SUCCEEDED,))
        return row.fetchone()[0]

    def charges(self) -> list[ChargeRecord]:
        rows = self._conn().execute(f"SELECT {_RECORD_COLUMNS} FROM sim_charge ORDER BY rowid")
        return [_record(r) for r in rows]

    def reverse(self, record: ReversalRecord) -> tuple[ReversalRecord, bool]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute(
                "SELECT key, charge_key, kind, amount, day FROM sim_reversal WHERE key = ?", (record.key,)
            ).fetchone()
            if found is None:
                conn.execute(
                    "INSERT INTO sim_reversal VALUES (?, ?, ?, ?, ?)",
                    (record.key, record.charge_key, record.kind, record.amount, record.day.isoformat()),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if found is not None:
            key, charge_key, kind, amount, day = found
            return ReversalRecord(key, charge_key, kind, amount, date.fromisoformat(day)), False
        return record, True

    def reversals(self) -> list[ReversalRecord]:
        rows = self._conn().execute("SELECT key, charge_key, kind, amount, day FROM sim_reversal ORDER BY rowid")
        return [ReversalRecord(k, c, kind, a, date.fromisoformat(d)) for k, c, kind, a, d in rows]

    def open_setup(self, record: SetupRecord) -> SetupRecord:
        conn = self._conn()
        conn.execute(
            "INSERT INTO sim_setup VALUES (?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
            (record.reference, record.idempotency_key, json.dumps(record)),
        )
        row = conn.execute("SELECT record FROM sim_setup WHERE idempotency_key = ?", (record.idempotency_key,))
        return SetupRecord(*json.loads(row.fetchone()[0]))

    def get_setup(self, reference: str) -> SetupRecord | None:
        row = self._conn().execute("SELECT record FROM sim_setup WHERE reference = ?", (reference,)).fetchone()
        return SetupRecord(*json.loads(row[0])) if row else None

    def save_setup(self, record: SetupRecord) -> None:
        self._conn().execute(
            "UPDATE sim_setup SET record = ? WHERE reference = ?", (json.dumps(record), record.reference)
        )

    def close(self) -> None:
        """Closes this thread's connection (other threads' connections close when they are collected)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None
