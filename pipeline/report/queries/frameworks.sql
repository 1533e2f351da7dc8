WITH final AS (SELECT * FROM ind_framework_share WHERE year IS NOT NULL)
SELECT * FROM final ORDER BY year, framework
