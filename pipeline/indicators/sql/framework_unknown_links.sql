-- Code links per year whose framework was not detected (the complement of framework_links.sql).
SELECT year, count(*) AS n
FROM fct_code_links
WHERE year IS NOT NULL
  AND NOT (framework IS NOT NULL
           AND NOT (framework = 'other' AND lower(coalesce(framework_raw, 'none')) IN ('none', '')))
GROUP BY year
ORDER BY year
