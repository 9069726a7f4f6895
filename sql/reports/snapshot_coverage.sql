-- Snapshot, step 4: the month's rows of coverage_month, one per regency, dimension and value.
-- Participant rows carry the month-end counts, event rows the moves; every row is counted once per
-- dimension. A value that does not apply (a self-paid participant's sponsor, the cause of a
-- participant row) is NULL and left out.
INSERT INTO coverage_month
    (region_code, month, dimension, value, participants, active, in_arrears, activated, reactivated, recovered,
     entered_arrears, ended, cancelled, sponsor_stopped, ended_from_arrears, ended_before_paying)
SELECT region_code, :month, dimension, value,
       SUM(persons), SUM(active), SUM(in_arrears),
       SUM(CASE WHEN measure = 'activated' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'reactivated' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'recovered' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'entered_arrears' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'ended' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'cancelled' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'sponsor_stopped' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'ended_from_arrears' THEN 1 ELSE 0 END),
       SUM(CASE WHEN measure = 'ended_before_paying' THEN 1 ELSE 0 END)
FROM (SELECT f.region_code, d.dimension, f.persons, f.active, f.in_arrears, f.measure,
             CASE d.dimension WHEN 'all' THEN ''
                              WHEN 'ecosystem' THEN f.ecosystem
                              WHEN 'payer' THEN f.payer
                              WHEN 'sponsor' THEN f.sponsor
                              WHEN 'channel' THEN f.channel
                              WHEN 'debit_day' THEN f.debit_day
                              WHEN 'tenure' THEN CAST(f.tenure AS VARCHAR(8))
                              WHEN 'cohort' THEN f.cohort
                              WHEN 'cause' THEN f.cause END AS value
      FROM (SELECT region_code, ecosystem, payer, sponsor, channel, debit_day, cohort, tenure,
                   1 AS persons, active, in_arrears, NULL AS measure, NULL AS cause
            FROM tmp_report_person
            UNION ALL
            SELECT p.region_code, p.ecosystem, COALESCE(e.payer, p.payer), COALESCE(e.sponsor, p.sponsor),
                   p.channel, p.debit_day, p.cohort, p.tenure,
                   0, 0, 0, e.measure, e.cause
            FROM tmp_report_event e
            JOIN tmp_report_person p ON p.participant_id = e.participant_id) f
      CROSS JOIN (SELECT 'all' AS dimension UNION ALL SELECT 'ecosystem' UNION ALL SELECT 'payer'
                  UNION ALL SELECT 'sponsor' UNION ALL SELECT 'channel' UNION ALL SELECT 'debit_day'
                  UNION ALL SELECT 'tenure' UNION ALL SELECT 'cohort' UNION ALL SELECT 'cause') d) x
WHERE value IS NOT NULL
GROUP BY region_code, dimension, value
