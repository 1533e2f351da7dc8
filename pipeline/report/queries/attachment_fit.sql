-- The pooled fit per kind (one row each); per-period rows are drawn as the points' colours.
WITH final AS (SELECT * FROM ind_preferential_attachment WHERE is_pooled)
SELECT * FROM final ORDER BY kind
