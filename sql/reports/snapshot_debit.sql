-- Snapshot, step 5: the debit attempts on the month's contributions, per regency and attempt number.
-- A failed attempt whose contribution is paid by now (a later attempt, or a payment at an agent)
-- counts as recovered later.
INSERT INTO debit_month (region_code, month, attempt_no, attempts, succeeded, failed, recovered_later)
SELECT p.region_code, :month, a.attempt_no,
       COUNT(*),
       SUM(CASE WHEN a.status = 'succeeded' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'failed' THEN 1 ELSE 0 END),
       SUM(CASE WHEN a.status = 'failed' AND c.status = 'paid' THEN 1 ELSE 0 END)
FROM contribution c
JOIN debit_attempt a ON a.contribution_id = c.id
JOIN participant p ON p.id = c.participant_id
WHERE c.period = :month
GROUP BY p.region_code, a.attempt_no
