-- Participants, active and in arrears at the end of each month :first..:last, per child region of the
-- scope: the regency itself, a province's regencies (:child_len 5) or the country's provinces (2).
SELECT SUBSTR(region_code, 1, :child_len) AS region_code,
       month,
       SUM(participants) AS participants,
       SUM(active) AS active,
       SUM(in_arrears) AS in_arrears
FROM coverage_month
WHERE dimension = 'all'
  AND region_code BETWEEN :lo AND :hi
  AND month BETWEEN :first AND :last
GROUP BY 1, 2
ORDER BY 1, 2
