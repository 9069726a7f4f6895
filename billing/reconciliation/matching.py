"""Matching an import's new lines with our receipts, set-based: a few statements per file whatever its
size, the attempts table read by hash joins (it has no index on the gateway reference, on purpose).

Our books, per gateway: every debit attempt and sponsor invoice charge, with its receipt when it has
one (the ledger transfer ``debit:<id>`` / ``invdebit:<id>``, posted on the day the money moved). A line
is found by our idempotency key (Stripe's ``payment_metadata[idempotency_key]``), by the gateway's
reference (the PaymentIntent id we stored), or by a bank quoting our key as its reference."""

from datetime import date, datetime

from sqlalchemy import Connection, text

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

# Most certain first: each pass takes only lines the ones before left unmatched.
_PASSES = (
    "b.idem = reconciliation_line.idempotency_key",
    "b.ref = reconciliation_line.reference",
    "b.idem = reconciliation_line.reference",
)

_FIND = f"""
UPDATE reconciliation_line SET source = b.source, book_id = b.book_id, books_amount = b.amount
FROM ({_BOOKS}) AS b
WHERE reconciliation_line.import_id = :import_id AND reconciliation_line.result = 'file_only'
  AND reconciliation_line.book_id IS NULL AND {{condition}}
"""

_COMPARE = """
UPDATE reconciliation_line
SET result = CASE WHEN books_amount = amount THEN 'matched' ELSE 'amount_differs' END
WHERE import_id = :import_id AND book_id IS NOT NULL AND books_amount IS NOT NULL
"""

# A charge held by an earlier line (of this file or any before) is money counted twice.
_DUPLICATES = """
UPDATE reconciliation_line SET result = 'file_only', note = 'duplicate'
WHERE import_id = :import_id AND book_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM reconciliation_line o
    WHERE o.source = reconciliation_line.source AND o.book_id = reconciliation_line.book_id
      AND o.id < reconciliation_line.id)
"""

_NO_RECEIPT = """
UPDATE reconciliation_line SET note = 'no_receipt'
WHERE import_id = :import_id AND book_id IS NOT NULL AND books_amount IS NULL AND note IS NULL
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


def match(
    conn: Connection, import_id: int, gateway: str, first_day: date, last_day: date, now: datetime
) -> dict[str, int]:
    """Match the import's new lines, open its items, close the ones it settles; the counts per result,
    ``books_only`` (items opened) and ``closed``."""
    params = {"import_id": import_id, "gateway": gateway}
    for condition in _PASSES:
        conn.execute(text(_FIND.format(condition=condition)), params)
    for statement in (_COMPARE, _DUPLICATES, _NO_RECEIPT):
        conn.execute(text(statement), {"import_id": import_id})
    conn.execute(text(_LINE_ITEMS), {**params, "now": now})
    days = {"first_day": first_day, "last_day": last_day}
    conn.execute(text(_BOOKS_ONLY), {**params, **days, "now": now})
    resolution = f"Ada di impor #{import_id} / Found in import #{import_id}"
    closed = conn.execute(text(_CLOSE), {**params, "now": now, "resolution": resolution}).rowcount
    counts = {str(result): int(n) for result, n in conn.execute(text(_COUNTS), {"import_id": import_id})}
    counts["books_only"] = int(conn.execute(text(_OPENED), {"import_id": import_id}).scalar_one())
    counts["closed"] = int(closed)
    return counts
