-- Snapshot, step 3: the month's coverage events that move a participant into or out of 'active',
-- named by their kind, and endings of participants who were no longer (or never) active.
-- A return after membership ended is a re-registration ('reactivated' into 'registered') followed by
-- a first payment ('activated'): that activation counts as a reactivation, not as a new enrolment.
-- A lapse without a recorded cause counts as 'unknown', so the causes always add up to the lapses.
INSERT INTO tmp_report_event (participant_id, measure, cause)
SELECT participant_id,
       measure,
       CASE WHEN measure IN ('activated', 'reactivated', 'recovered') THEN NULL ELSE COALESCE(cause, 'unknown') END
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
                       CASE e.kind WHEN 'ended' THEN 'ended'
                                   WHEN 'cancelled' THEN 'cancelled'
                                   WHEN 'sponsor_stopped' THEN 'sponsor_stopped'
                                   ELSE 'entered_arrears' END
                  WHEN e.kind IN ('ended', 'cancelled', 'sponsor_stopped') AND e.from_status = 'in_arrears'
                       THEN 'ended_from_arrears'
                  WHEN e.kind IN ('ended', 'cancelled', 'sponsor_stopped') THEN 'ended_before_paying'
             END AS measure
      FROM coverage_event e
      WHERE e.occurred_on >= :month AND e.occurred_on <= :month_end) x
WHERE measure IS NOT NULL
