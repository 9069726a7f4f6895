-- Debit attempts on the contributions of :first..:last by attempt number: how many were made,
-- succeeded and failed, and how many failed ones were paid later.
SELECT attempt_no,
       SUM(attempts) AS attempts,
       SUM(succeeded) AS succeeded,
       SUM(failed) AS failed,
       SUM(recovered_later) AS recovered_later
FROM debit_month
WHERE region_code BETWEEN :lo AND :hi
  AND month BETWEEN :first AND :last
GROUP BY attempt_no
ORDER BY attempt_no
