WITH final AS (SELECT * FROM ind_unification)
SELECT * FROM final ORDER BY year
