-- Raw mean pairwise JSD beside its value corrected for domain size (JSD minus its permutation null).
WITH final AS (
    SELECT u.*, c.jsd_corrected, c.corrected_ci_low AS jsd_corrected_ci_low,
           c.corrected_ci_high AS jsd_corrected_ci_high
    FROM ind_unification AS u
    LEFT JOIN ind_unification_corrected AS c USING (year)
)
SELECT * FROM final ORDER BY year
