"""Matching a file's lines with our receipts, set-based: the lines are staged in a temporary table (COPY
on PostgreSQL), matched in the statement that stores them, so each line is written once, whatever the
file's size; the attempts are read by hash joins (they have no index on the gateway reference, on
purpose).

Our books, per gateway: every debit attempt and sponsor invoice charge, with its receipt when it has
one (the ledger transfer ``debit:<id>`` / ``invdebit:<id>``, posted on the day the money moved). A line
is found by our idempotency key (Stripe's ``payment_metadata[idempotency_key]``), else by the gateway's
reference (the PaymentIntent id we stored), else by a bank quoting our key as its reference."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Column, Connection, Date, Integer, MetaData, String, Table, text

from billing.reconciliation.parsers import SettlementLine

_scratch = MetaData()
STAGED = Table(
    "tmp_settlement",
    _scratch,
    Column("line_no", Integer, primary_key=True),
    Column("line_key", String(200), nullable=False),
    Column("reference", String(120)),
    Column("idem", String(64)),
    Column("category", String(40), nullable=False),
    Column("counted", Boolean, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("fee", BigInteger),
    Column("net", BigInteger),
    Column("day", Date, nullable=False),
    prefixes=["TEMPORARY"],
)
_COLUMNS = [c.name for c in STAGED.columns]

_BOOKS = """
SELECT 'debit' AS source, a.id AS book_id, a.idempotency_key AS idem, a.gateway_reference AS ref,
       d.amount AS amount, d.posted_on AS day
FROM debit_attempt a LEFT JOIN ledger_transfer d ON d.key = 'debit:' || a.id
WHERE a.gateway = :gateway
UNION ALL
SELECT 'invoice', a.id, a.idempotency_key, a.gateway_reference, d.amount, d.posted_on
FROM sponsor_invoice_attempt a LEFT JOIN ledger_transfer d ON d.key = 'invdebit:' || a.id
WHERE a.gateway = :gateway
"""

# Every way a charge line may name a receipt, most certain first; a line takes the first that finds one.
_FOUND = """
SELECT t.line_no, b.source, b.book_id, b.amount, {rank} AS rank
FROM tmp_settlement t JOIN books b ON {condition}
WHERE t.counted
"""
_BY_KEY, _WAYS = "b.idem = t.idem", ("b.ref = t.reference", "b.idem = t.reference")

_STORE = f"""
WITH books AS ({_BOOKS}),
found AS ({{found}}),
best AS (
    SELECT line_no, source, book_id, amount,
           ROW_NUMBER() OVER (PARTITION BY line_no ORDER BY rank) AS n
    FROM found)
INSERT INTO reconciliation_line (import_id, line_no, gateway, line_key, reference, idempotency_key, category,
    amount, fee, net, day, result, source, book_id, books_amount, note)
SELECT :import_id, t.line_no, :gateway, t.line_key, t.reference, t.idem, t.category, t.amount, t.fee, t.net, t.day,
    CASE WHEN NOT t.counted THEN 'other'
         WHEN b.amount IS NULL THEN 'file_only'
         WHEN b.amount = t.amount THEN 'matched'
         ELSE 'amount_differs' END,
    b.source, b.book_id, b.amount,
    CASE WHEN b.book_id IS NOT NULL AND b.amount IS NULL THEN 'no_receipt' END
FROM tmp_settlement t LEFT JOIN best b ON b.line_no = t.line_no AND b.n = 1
WHERE true
ORDER BY t.line_no
ON CONFLICT (gateway, line_key) DO NOTHING
"""

# A charge held by an earlier line (of this file or any before) is money counted twice.
_DUPLICATES = """
UPDATE reconciliation_line SET result = 'file_only', note = 'duplicate'
WHERE import_id = :import_id AND book_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM reconciliation_line o
    WHERE o.source = reconciliation_line.source AND o.book_id = reconciliation_line.book_id
      AND o.id < reconciliation_line.id)
"""

_PARTICIPANT = """
(SELECT c.participant_id FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
 WHERE {alias}.source = 'debit' AND a.id = {alias}.book_id)
"""

_LINE_ITEMS = f"""
INSERT INTO reconciliation_item (kind, import_id, line_id, gateway, subject, reference, idempotency_key, day,
    file_amount, books_amount, source, book_id, participant_id, note, created_at)
SELECT l.result, l.import_id, l.id, l.gateway, 'line:' || l.id, l.reference, l.idempotency_key, l.day,
    l.amount, l.books_amount, l.source, l.book_id, {_PARTICIPANT.format(alias="l")}, l.note, :now
FROM reconciliation_line l
WHERE l.import_id = :import_id AND l.result IN ('file_only', 'amount_differs')
"""

_BOOKS_ONLY = f"""
INSERT INTO reconciliation_item (kind, import_id, gateway, subject, reference, idempotency_key, day,
    books_amount, source, book_id, participant_id, created_at)
SELECT 'books_only', :import_id, :gateway, b.source || ':' || b.book_id, b.ref, b.idem, b.day,
    b.amount, b.source, b.book_id, {_PARTICIPANT.format(alias="b")}, :now
FROM ({_BOOKS}) AS b
WHERE b.amount IS NOT NULL AND b.day BETWEEN :first_day AND :last_day
  AND NOT EXISTS (SELECT 1 FROM reconciliation_line l
                  WHERE l.source = b.source AND l.book_id = b.book_id AND l.gateway = :gateway)
ON CONFLICT (gateway, subject) DO NOTHING
"""

# A receipt missing from earlier files that this one holds after all (it settled a day later).
_CLOSE = """
UPDATE reconciliation_item SET resolved_at = :now, resolution = :resolution
WHERE kind = 'books_only' AND gateway = :gateway AND resolved_at IS NULL AND EXISTS (
    SELECT 1 FROM reconciliation_line l
    WHERE l.import_id = :import_id AND l.source = reconciliation_item.source
      AND l.book_id = reconciliation_item.book_id)
"""

_COUNTS = "SELECT result, COUNT(*) FROM reconciliation_line WHERE import_id = :import_id GROUP BY result"
_OPENED = "SELECT COUNT(*) FROM reconciliation_item WHERE import_id = :import_id AND kind = 'books_only'"


def _stage(conn: Connection, lines: Sequence[SettlementLine]) -> None:
    STAGED.drop(conn, checkfirst=True)  # left on a pooled SQLite connection by a failed import
    STAGED.create(conn)  # on PostgreSQL a rollback drops it with everything else
    rows = [
        (x.line_no, x.line_key, x.reference, x.idempotency_key, x.category, x.counted, x.amount, x.fee, x.net, x.day)
        for x in lines
    ]
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(f"COPY tmp_settlement ({', '.join(_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(_COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO tmp_settlement ({', '.join(_COLUMNS)}) VALUES ({marks})", rows)
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE tmp_settlement"))  # its size, for the joins' plan


def match(
    conn: Connection,
    import_id: int,
    gateway: str,
    lines: Sequence[SettlementLine],
    first_day: date,
    last_day: date,
    now: datetime,
) -> dict[str, int]:
    """Store the file's lines not stored before, matched; open its items, close the ones it settles.
    Returns the counts per result of the lines stored, ``books_only`` (items opened) and ``closed``."""
    params = {"import_id": import_id, "gateway": gateway}
    _stage(conn, lines)
    # A bank's file carries none of our keys: no join on them.
    ways = ([_BY_KEY] if any(x.idempotency_key for x in lines) else []) + list(_WAYS)
    found = " UNION ALL ".join(_FOUND.format(rank=i, condition=c) for i, c in enumerate(ways))
    conn.execute(text(_STORE.format(found=found)), params)
    STAGED.drop(conn)
    conn.execute(text(_DUPLICATES), {"import_id": import_id})
    conn.execute(text(_LINE_ITEMS), {**params, "now": now})
    days = {"first_day": first_day, "last_day": last_day}
    conn.execute(text(_BOOKS_ONLY), {**params, **days, "now": now})
    resolution = f"Ada di impor #{import_id} / Found in import #{import_id}"
    closed = conn.execute(text(_CLOSE), {**params, "now": now, "resolution": resolution}).rowcount
    counts = {str(result): int(n) for result, n in conn.execute(text(_COUNTS), {"import_id": import_id})}
    counts["books_only"] = int(conn.execute(text(_OPENED), {"import_id": import_id}).scalar_one())
    counts["closed"] = int(closed)
    return counts
