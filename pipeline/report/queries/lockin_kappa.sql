-- Field-wide persistence with its chance-corrected value (ind_lockin_kappa, domain 'all').
WITH final AS (
    SELECT l.*, k.p_chance, k.kappa, k.kappa_ci_low, k.kappa_ci_high
    FROM ind_lockin AS l
    LEFT JOIN ind_lockin_kappa AS k ON k.domain = 'all'
)
SELECT * FROM final
