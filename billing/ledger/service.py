"""``billing ledger verify``: paid contributions, succeeded attempts and ledger balances must agree."""

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

_CHECKS = {
    "succeeded attempt without exactly one ledger transfer of its amount": """
        SELECT COUNT(*) FROM debit_attempt a
        WHERE a.status = 'succeeded' AND 1 <> (
            SELECT COUNT(*) FROM ledger_transfer l WHERE l.attempt_id = a.id AND l.amount = a.amount)""",
    "ledger transfer whose attempt did not succeed, or is not that contribution's": """
        SELECT COUNT(*) FROM ledger_transfer l LEFT JOIN debit_attempt a ON a.id = l.attempt_id
        WHERE a.id IS NULL OR a.status <> 'succeeded' OR a.contribution_id <> l.contribution_id""",
    "attempt naming a run, contribution or mandate that does not exist": """
        SELECT COUNT(*) FROM debit_attempt a
        WHERE NOT EXISTS (SELECT 1 FROM job_run r WHERE r.id = a.run_id)
           OR NOT EXISTS (SELECT 1 FROM contribution c WHERE c.id = a.contribution_id)
           OR NOT EXISTS (SELECT 1 FROM mandate m WHERE m.id = a.mandate_id)""",
    "contribution charged more than once": """
        SELECT COUNT(*) FROM (SELECT contribution_id FROM debit_attempt WHERE status = 'succeeded'
                              GROUP BY contribution_id HAVING COUNT(*) > 1) x""",
    "contribution paid by debit without a succeeded attempt": """
        SELECT COUNT(*) FROM contribution c WHERE c.status = 'paid' AND c.paid_via = 'debit'
          AND NOT EXISTS (SELECT 1 FROM debit_attempt a WHERE a.contribution_id = c.id AND a.status = 'succeeded')""",
    "succeeded attempt whose contribution is not paid": """
        SELECT COUNT(*) FROM debit_attempt a JOIN contribution c ON c.id = a.contribution_id
        WHERE a.status = 'succeeded' AND c.status <> 'paid'""",
}

_TOTALS = """
SELECT
  (SELECT COALESCE(SUM(amount_due), 0) FROM contribution WHERE status = 'paid' AND paid_via = 'debit'),
  (SELECT COALESCE(SUM(amount), 0) FROM debit_attempt WHERE status = 'succeeded'),
  (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer WHERE debit_account = 'gateway_clearing'),
  (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer WHERE credit_account = 'contributions_receivable')
"""


@dataclass
class Verification:
    paid_by_debit: int
    succeeded_attempts: int
    gateway_clearing: int
    receivable_credited: int
    problems: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        amounts = {self.paid_by_debit, self.succeeded_attempts, self.gateway_clearing, self.receivable_credited}
        return not self.problems and len(amounts) == 1


def verify(conn: Connection) -> Verification:
    totals = conn.execute(text(_TOTALS)).one()
    result = Verification(*(int(v) for v in totals))
    for name, sql in _CHECKS.items():
        count = int(conn.execute(text(sql)).scalar_one())
        if count:
            result.problems[name] = count
    return result
