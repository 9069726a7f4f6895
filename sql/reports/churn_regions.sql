-- The churn waterfall per child region of the scope: active at the end of :opening (the month before
-- :first) and of :last, and the moves into and out of active during :first..:last.
SELECT SUBSTR(region_code, 1, :child_len) AS region_code,
       SUM(CASE WHEN month = :opening THEN active ELSE 0 END) AS opening,
       SUM(CASE WHEN month = :last THEN active ELSE 0 END) AS closing,
       SUM(CASE WHEN month >= :first THEN activated ELSE 0 END) AS activated,
       SUM(CASE WHEN month >= :first THEN reactivated ELSE 0 END) AS reactivated,
       SUM(CASE WHEN month >= :first THEN recovered ELSE 0 END) AS recovered,
       SUM(CASE WHEN month >= :first THEN entered_arrears ELSE 0 END) AS entered_arrears,
       SUM(CASE WHEN month >= :first THEN ended ELSE 0 END) AS ended,
       SUM(CASE WHEN month >= :first THEN cancelled ELSE 0 END) AS cancelled,
       SUM(CASE WHEN month >= :first THEN sponsor_stopped ELSE 0 END) AS sponsor_stopped,
       SUM(CASE WHEN month >= :first THEN ended_from_arrears ELSE 0 END) AS ended_from_arrears,
       SUM(CASE WHEN month >= :first THEN ended_before_paying ELSE 0 END) AS ended_before_paying
FROM coverage_month
WHERE dimension = 'all'
  AND region_code BETWEEN :lo AND :hi
  AND month BETWEEN :opening AND :last
GROUP BY 1
ORDER BY 1
