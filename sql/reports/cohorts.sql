-- Cohort retention: for each enrolment month :first_cohort..:last_cohort (YYYY-MM), its participants
-- and how many of them were active at the end of each month :first..:last.
SELECT value AS cohort,
       month,
       SUM(participants) AS participants,
       SUM(active) AS active
FROM coverage_month
WHERE dimension = 'cohort'
  AND region_code BETWEEN :lo AND :hi
  AND month BETWEEN :first AND :last
  AND value BETWEEN :first_cohort AND :last_cohort
GROUP BY value, month
ORDER BY value, month
