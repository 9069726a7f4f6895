-- The scope region and its children: a province's regencies, or every province (:scope = '').
SELECT code, name, level, parent_code
FROM region
WHERE code = :scope
   OR parent_code = :scope
   OR (CAST(:scope AS VARCHAR(5)) = '' AND level = 1)
ORDER BY code
