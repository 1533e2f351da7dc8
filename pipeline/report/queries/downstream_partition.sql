-- Downstream concentration per year over the nearest-foundation partition (HHI with its interval, top-3 share).
WITH final AS (SELECT * FROM ind_downstream_partition)
SELECT * FROM final ORDER BY year
