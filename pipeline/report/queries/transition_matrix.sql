WITH final AS (SELECT * FROM ind_transition_matrix)
SELECT * FROM final ORDER BY from_family, to_family
