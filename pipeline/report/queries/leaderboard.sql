WITH final AS (
    SELECT area, year, family, top_results_share, top_results_total, low_n
    FROM ind_leaderboard_dominance
    WHERE year IS NOT NULL AND area IS NOT NULL
)
SELECT * FROM final ORDER BY area, year, family
