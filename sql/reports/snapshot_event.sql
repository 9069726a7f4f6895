-- Snapshot, step 3: the month's coverage events that move a participant into or out of 'active',
-- named by their kind, and endings of participants who were no longer (or never) active.
-- A return after membership ended is a re-registration ('reactivated' into 'registered') followed by
-- a first payment ('activated'): that activation counts as a reactivation, not as a new enrolment.
-- A lapse without a recorded cause counts as 'unknown', so the causes always add up to the lapses.
-- Members of a stopped sponsor become self-payers and leave active through the arrears rule: that
-- lapse is the sponsor's step of the waterfall, not 'entered_arrears'. An ending straight from active
-- (evaluation that did not run for months) is 'ended' whatever its cause; the cause still names it.
-- Such a lapse, and the ending after it, are counted under the sponsor that stopped (its latest stop
-- up to the month's end) in the payer and sponsor breakdowns.
INSERT INTO tmp_report_event (participant_id, measure, cause, payer, sponsor)
SELECT x.participant_id,
       x.measure,
       CASE WHEN x.measure IN ('activated', 'reactivated', 'recovered') THEN NULL ELSE COALESCE(x.cause, 'unknown') END,
       CASE WHEN s.budget_type = 'csr' THEN 'sponsor_csr' WHEN s.id IS NOT NULL THEN 'sponsor_apbd' END,
       CAST(s.id AS VARCHAR(20))
FROM (SELECT e.participant_id, e.cause,
             CASE WHEN e.to_status = 'active' AND COALESCE(e.from_status, '') <> 'active' THEN
                       CASE WHEN e.kind IN ('reactivated', 'recovered') THEN e.kind
                            WHEN e.from_status = 'registered'
                                 AND (SELECT b.kind FROM coverage_event b
                                      WHERE b.participant_id = e.participant_id
                                        AND (b.occurred_on < e.occurred_on
                                             OR (b.occurred_on = e.occurred_on AND b.id < e.id))
                                      ORDER BY b.occurred_on DESC, b.id DESC
                                      LIMIT 1) = 'reactivated' THEN 'reactivated'
                            ELSE 'activated' END
                  WHEN e.from_status = 'active' AND e.to_status <> 'active' THEN
                       CASE WHEN e.kind IN ('ended', 'sponsor_stopped') THEN 'ended'
                            WHEN e.kind = 'cancelled' THEN 'cancelled'
                            WHEN e.cause = 'sponsor_stopped' THEN 'sponsor_stopped'
                            ELSE 'entered_arrears' END
                  WHEN e.kind IN ('ended', 'cancelled', 'sponsor_stopped') AND e.from_status = 'in_arrears'
                       THEN 'ended_from_arrears'
                  WHEN e.kind IN ('ended', 'cancelled', 'sponsor_stopped') THEN 'ended_before_paying'
             END AS measure
      FROM coverage_event e
      WHERE e.occurred_on >= :month AND e.occurred_on <= :month_end) x
LEFT JOIN sponsor s ON x.cause = 'sponsor_stopped'
     AND s.id = (SELECT sm.sponsor_id FROM sponsor_member sm
                 JOIN sponsor st ON st.id = sm.sponsor_id AND st.status = 'stopped' AND st.stopped_on <= :month_end
                 WHERE sm.participant_id = x.participant_id
                 ORDER BY st.stopped_on DESC, st.id DESC
                 LIMIT 1)
WHERE x.measure IS NOT NULL
