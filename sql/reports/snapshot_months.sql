-- The months already in the snapshot, and up to which date their events were counted.
SELECT month, as_of
FROM report_snapshot
WHERE month BETWEEN :first AND :last
ORDER BY month
