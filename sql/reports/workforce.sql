-- Potential workers and UCJ targets of the scope region and the regions under it (everything for a
-- national report, :scope = ''), for every year up to :last_year.
SELECT w.region_code, r.level, r.parent_code, w.year, w.potential_workers, w.coverage_target_bp
FROM region_workforce w
JOIN region r ON r.code = w.region_code
WHERE w.year <= :last_year
  AND (CAST(:scope AS VARCHAR(5)) = '' OR r.code = :scope OR r.parent_code = :scope)
ORDER BY w.region_code, w.year
