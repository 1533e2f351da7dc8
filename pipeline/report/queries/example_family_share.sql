-- Vision's family shares since 2018, with their bootstrap 95% intervals
WITH final AS (
    SELECT year, family, round(share, 3) AS share, share_ci_low, share_ci_high, low_n
    FROM ind_family_share
    WHERE domain = 'vision' AND year >= 2018
)
SELECT * FROM final ORDER BY year DESC, share DESC
