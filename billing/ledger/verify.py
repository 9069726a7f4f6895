"""``billing ledger verify``: the books are one truth. Every transfer balances and names a source;
every contribution's paid amount is the sum of its postings and its status follows from them; every
participant's credit is the sum of theirs; every succeeded attempt (a worker's debit or a sponsor
invoice's charge) has exactly one receipt; the sponsors' money on the ledger is what their invoices
hold unapplied; every agent's cash collection has its receipt and commission, every remittance its
posting. With a gateway, every success in the gateway's own records has exactly one receipt in
our books, every debit receipt has its charge there, and what is left of each charge is the same on
both sides. Each problem is named with the ids of the rows behind it."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from billing.gateways.base import Gateway, ReversalKind

# Each check selects the ids of the rows that break it.
_CHECKS = {
    "succeeded attempt without exactly one receipt of its amount": """
        SELECT a.id FROM debit_attempt a
        WHERE a.status = 'succeeded' AND 1 <> (
            SELECT COUNT(*) FROM ledger_transfer l WHERE l.key = 'debit:' || a.id AND l.amount = a.amount)""",
    "debit receipt whose attempt did not succeed, or is not that contribution's": """
        SELECT l.key FROM ledger_transfer l LEFT JOIN debit_attempt a ON a.id = l.attempt_id
        WHERE l.kind = 'debit'
          AND (a.id IS NULL OR a.status <> 'succeeded' OR a.contribution_id <> l.contribution_id)""",
    "attempt naming a run, contribution or mandate that does not exist": """
        SELECT a.id FROM debit_attempt a
        WHERE NOT EXISTS (SELECT 1 FROM job_run r WHERE r.id = a.run_id)
           OR NOT EXISTS (SELECT 1 FROM contribution c WHERE c.id = a.contribution_id)
           OR NOT EXISTS (SELECT 1 FROM mandate m WHERE m.id = a.mandate_id)""",
    "transfer to or from a contribution that does not exist": """
        SELECT l.key FROM ledger_transfer l
        WHERE l.contribution_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM contribution c WHERE c.id = l.contribution_id)""",
    "contribution whose paid amount is not the sum of its postings": """
        SELECT c.id FROM contribution c LEFT JOIN (
            SELECT contribution_id,
                   SUM(CASE WHEN credit_account = 'contributions_receivable' AND debit_account <> 'write_off'
                            THEN amount ELSE 0 END)
                 - SUM(CASE WHEN debit_account = 'contributions_receivable' AND credit_account <> 'write_off'
                            THEN amount ELSE 0 END) AS money
            FROM ledger_transfer WHERE contribution_id IS NOT NULL GROUP BY contribution_id) p
          ON p.contribution_id = c.id
        WHERE COALESCE(p.money, 0) <> c.amount_paid""",
    "contribution holding more than it owes (the excess belongs in credit)": """
        SELECT id FROM contribution WHERE amount_paid > amount_due""",
    "contribution whose status does not follow from its postings": """
        SELECT c.id FROM contribution c LEFT JOIN (
            SELECT contribution_id,
                   SUM(CASE WHEN debit_account = 'write_off' THEN amount ELSE -amount END) AS written_off
            FROM ledger_transfer WHERE 'write_off' IN (debit_account, credit_account)
            GROUP BY contribution_id) w ON w.contribution_id = c.id
        WHERE (c.status = 'paid' AND c.amount_paid <> c.amount_due)
           OR (c.status = 'due' AND c.amount_paid >= c.amount_due)
           OR (c.status = 'waived' AND c.amount_paid + COALESCE(w.written_off, 0) <> c.amount_due)
           OR (c.status <> 'waived' AND COALESCE(w.written_off, 0) <> 0)""",
    "participant whose credit balance is not the sum of their credit postings": """
        SELECT COALESCE(b.participant_id, p.participant_id) FROM participant_credit b
        FULL OUTER JOIN (
            SELECT participant_id,
                   SUM(CASE WHEN credit_account = 'participant_credit' THEN amount ELSE -amount END) AS balance
            FROM ledger_transfer WHERE 'participant_credit' IN (debit_account, credit_account)
            GROUP BY participant_id) p ON p.participant_id = b.participant_id
        WHERE COALESCE(b.balance, 0) <> COALESCE(p.balance, 0)""",
    "refund whose postings do not follow from its status": """
        SELECT r.id FROM refund r WHERE
            NOT EXISTS (SELECT 1 FROM ledger_transfer l
                        WHERE l.key = 'refund:' || r.id || '\\:reserved' AND l.amount = r.amount)
            OR (r.status = 'succeeded')
               <> EXISTS (SELECT 1 FROM ledger_transfer l WHERE l.key = 'refund:' || r.id || '\\:paid')
            OR (r.status = 'failed')
               <> EXISTS (SELECT 1 FROM ledger_transfer l WHERE l.key = 'refund:' || r.id || '\\:released')""",
    "debit receipt reversed or refunded beyond its amount": """
        SELECT d.attempt_id FROM ledger_transfer d
        WHERE d.kind = 'debit' AND d.amount <
            (SELECT COALESCE(SUM(CASE WHEN x.kind = 'reinstated' THEN -x.amount ELSE x.amount END), 0)
             FROM ledger_transfer x WHERE x.attempt_id = d.attempt_id AND x.kind IN ('reversal', 'reinstated'))
          + (SELECT COALESCE(SUM(r.amount), 0) FROM refund r
             WHERE r.attempt_id = d.attempt_id AND r.status <> 'failed')""",
    "succeeded sponsor invoice charge without exactly one receipt of its amount": """
        SELECT a.id FROM sponsor_invoice_attempt a
        WHERE a.status = 'succeeded' AND 1 <> (
            SELECT COUNT(*) FROM ledger_transfer l WHERE l.key = 'invdebit:' || a.id AND l.amount = a.amount)""",
    "sponsor money on the ledger that is not the unapplied money of the invoices": """
        SELECT 'sponsor_receivable' FROM (
            SELECT COALESCE(SUM(CASE WHEN credit_account = 'sponsor_receivable' THEN amount ELSE -amount END), 0)
                AS held FROM ledger_transfer WHERE 'sponsor_receivable' IN (debit_account, credit_account)) l
        WHERE l.held <> (SELECT COALESCE(SUM(unapplied), 0) FROM sponsor_invoice)""",
    "agent collection whose receipt or commission posting is not its own": """
        SELECT a.id FROM agent_collection a JOIN receipt r ON r.id = a.receipt_id
        WHERE r.amount <> a.amount OR r.channel <> 'agent'
           OR (a.commission > 0) <> EXISTS (SELECT 1 FROM ledger_transfer l
                                            WHERE l.key = 'commission:' || a.id AND l.amount = a.commission)""",
    "commission posting of no agent collection": """
        SELECT l.key FROM ledger_transfer l WHERE l.kind = 'commission' AND NOT EXISTS (
            SELECT 1 FROM agent_collection a WHERE l.key = 'commission:' || a.id AND l.amount = a.commission)""",
    "agent remittance without exactly one posting of its amount": """
        SELECT r.id FROM agent_remittance r WHERE NOT EXISTS (
            SELECT 1 FROM ledger_transfer l WHERE l.key = 'remittance:' || r.id AND l.amount = r.amount)""",
}

_TOTALS = """
SELECT kind, debit_account, credit_account, SUM(amount) FROM ledger_transfer
GROUP BY kind, debit_account, credit_account
"""

# Our books per charge: its receipt, less reversals, plus reinstatements, less refunds paid out.
_HELD = """
SELECT a.idempotency_key, a.id, d.amount
    - (SELECT COALESCE(SUM(CASE WHEN x.kind = 'reinstated' THEN -x.amount ELSE x.amount END), 0)
       FROM ledger_transfer x WHERE x.attempt_id = a.id AND x.kind IN ('reversal', 'reinstated'))
    - (SELECT COALESCE(SUM(r.amount), 0) FROM refund r WHERE r.attempt_id = a.id AND r.status = 'succeeded')
FROM ledger_transfer d JOIN debit_attempt a ON a.id = d.attempt_id
WHERE d.kind = 'debit' AND a.gateway = :gateway
UNION ALL
SELECT a.idempotency_key, a.id, d.amount
FROM sponsor_invoice_attempt a JOIN ledger_transfer d ON d.key = 'invdebit:' || a.id
WHERE a.gateway = :gateway
"""

SHOWN = 20  # ids named per problem; the count is always complete


@dataclass
class Verification:
    balances: dict[str, int]  # net per account (debits positive)
    problems: dict[str, list[str]] = field(default_factory=dict)
    gateway_checked: str | None = None  # the gateway whose own records were compared

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str, ids: Iterable[object]) -> None:
        found = [str(i) for i in ids]
        if found:
            self.problems.setdefault(problem, []).extend(found)


def verify(conn: Connection, gateway: Gateway | None = None) -> Verification:
    balances: dict[str, int] = defaultdict(int)
    for _kind, debit, credit, amount in conn.execute(text(_TOTALS)):
        balances[debit] += int(amount)
        balances[credit] -= int(amount)
    result = Verification(dict(sorted(balances.items())))
    for name, sql in _CHECKS.items():
        result.add(name, (row[0] for row in conn.execute(text(sql))))
    if gateway is not None:
        verify_gateway(conn, gateway, result)
    return result


def verify_gateway(conn: Connection, gateway: Gateway, result: Verification) -> None:
    """The gateway's own records against our debit receipts, charge by charge."""
    result.gateway_checked = gateway.name
    ours = {
        key: (attempt_id, int(held)) for key, attempt_id, held in conn.execute(text(_HELD), {"gateway": gateway.name})
    }
    theirs: dict[str, int] = {}
    references: dict[str, str] = {}
    for charge in gateway.charges():
        key = charge.idempotency_key or f"(no key) {charge.reference}"
        if key in theirs:
            result.add("charge recorded twice at the gateway for one key", [key])
        theirs[key] = charge.amount
        references[charge.reference] = key
    for reversal in gateway.reversals():
        key = references.get(reversal.charge_reference)
        if key is None:
            result.add("refund or chargeback at the gateway of no successful charge", [reversal.reference])
            continue
        sign = -1 if reversal.kind is ReversalKind.chargeback_reversed else 1
        theirs[key] -= sign * reversal.amount
    result.add("success at the gateway without a receipt in our books", sorted(k for k in theirs if k not in ours))
    result.add(
        "debit receipt without its charge at the gateway", sorted(str(ours[k][0]) for k in ours if k not in theirs)
    )
    result.add(
        "charge whose amount left differs between the gateway and our books",
        sorted(
            f"{ours[k][0]} (ours {ours[k][1]}, gateway {theirs[k]})"
            for k in ours
            if k in theirs and ours[k][1] != theirs[k]
        ),
    )
