-- Code links per (year, framework) whose framework was detected. A link whose framework was not
-- detected (raw 'none') lands in 'other' in the mart; it is an unknown, not another framework.
SELECT year, framework, count(*) AS links
FROM fct_code_links
WHERE year IS NOT NULL
  AND framework IS NOT NULL
  AND NOT (framework = 'other' AND lower(coalesce(framework_raw, 'none')) IN ('none', ''))
GROUP BY ALL
ORDER BY year, framework
