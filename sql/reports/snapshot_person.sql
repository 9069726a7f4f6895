-- Snapshot, step 2: each participant of step 1 with where they live, who pays the month (its
-- contribution; self when there is none), how they pay (their latest mandate; 'none' without one),
-- their enrolment cohort (YYYY-MM), whole months since enrolment, and their status at the month's end.
-- :month the month's first day, :month_index year * 12 + month.
INSERT INTO tmp_report_person
    (participant_id, region_code, ecosystem, payer, sponsor, channel, debit_day, cohort, tenure, active, in_arrears)
SELECT p.id,
       p.region_code,
       p.ecosystem,
       COALESCE(c.payer, 'self'),
       CAST(c.sponsor_id AS VARCHAR(20)),
       COALESCE(m.channel, 'none'),
       COALESCE(CAST(m.debit_day AS VARCHAR(4)), 'none'),
       SUBSTR(CAST(p.enrolled_on AS VARCHAR(10)), 1, 7),
       :month_index - (CAST(SUBSTR(CAST(p.enrolled_on AS VARCHAR(10)), 1, 4) AS INTEGER) * 12
                       + CAST(SUBSTR(CAST(p.enrolled_on AS VARCHAR(10)), 6, 2) AS INTEGER)),
       CASE WHEN s.to_status = 'active' THEN 1 ELSE 0 END,
       CASE WHEN s.to_status = 'in_arrears' THEN 1 ELSE 0 END
FROM tmp_report_status s
JOIN participant p ON p.id = s.participant_id
LEFT JOIN contribution c ON c.participant_id = p.id AND c.period = :month
LEFT JOIN (SELECT participant_id, MAX(id) AS id FROM mandate WHERE participant_id IS NOT NULL
           GROUP BY participant_id) lm ON lm.participant_id = p.id
LEFT JOIN mandate m ON m.id = lm.id
