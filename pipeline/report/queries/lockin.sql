WITH final AS (SELECT * FROM ind_lockin)
SELECT * FROM final
