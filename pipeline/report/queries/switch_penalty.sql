WITH final AS (SELECT * FROM ind_switch_penalty)
SELECT * FROM final ORDER BY outcome
