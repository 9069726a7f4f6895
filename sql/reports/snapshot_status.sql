-- Snapshot, step 1: every participant known by the month's end (an event on or before it) and their
-- status then: the latest event on or before :month_end, ties by id (events are appended in order).
INSERT INTO tmp_report_status (participant_id, to_status)
SELECT participant_id, to_status
FROM (SELECT participant_id, to_status,
             ROW_NUMBER() OVER (PARTITION BY participant_id ORDER BY occurred_on DESC, id DESC) AS rn
      FROM coverage_event
      WHERE occurred_on <= :month_end) s
WHERE rn = 1
