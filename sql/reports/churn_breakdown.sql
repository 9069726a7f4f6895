-- The waterfall's figures by ecosystem, payer, sponsor, channel, debit day, tenure and cause, for the
-- whole scope: active at the end of :opening and :last, moves during :first..:last.
SELECT dimension,
       value,
       SUM(CASE WHEN month = :opening THEN active ELSE 0 END) AS opening,
       SUM(CASE WHEN month = :last THEN active ELSE 0 END) AS closing,
       SUM(CASE WHEN month >= :first THEN activated ELSE 0 END) AS activated,
       SUM(CASE WHEN month >= :first THEN reactivated ELSE 0 END) AS reactivated,
       SUM(CASE WHEN month >= :first THEN recovered ELSE 0 END) AS recovered,
       SUM(CASE WHEN month >= :first THEN entered_arrears ELSE 0 END) AS entered_arrears,
       SUM(CASE WHEN month >= :first THEN ended ELSE 0 END) AS ended,
       SUM(CASE WHEN month >= :first THEN cancelled ELSE 0 END) AS cancelled,
       SUM(CASE WHEN month >= :first THEN sponsor_stopped ELSE 0 END) AS sponsor_stopped,
       SUM(CASE WHEN month >= :first THEN ended_from_arrears ELSE 0 END) AS ended_from_arrears,
       SUM(CASE WHEN month >= :first THEN ended_before_paying ELSE 0 END) AS ended_before_paying
FROM coverage_month
WHERE dimension IN ('ecosystem', 'payer', 'sponsor', 'channel', 'debit_day', 'tenure', 'cause')
  AND region_code BETWEEN :lo AND :hi
  AND month BETWEEN :opening AND :last
GROUP BY dimension, value
ORDER BY dimension, value
