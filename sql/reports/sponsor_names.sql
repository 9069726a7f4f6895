-- The names of the sponsors named in a breakdown.
SELECT id, name, kind, budget_type
FROM sponsor
WHERE id IN :ids
ORDER BY id
