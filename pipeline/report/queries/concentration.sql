WITH start AS (
    SELECT coalesce(min(year), 0) AS first_year FROM ind_family_share WHERE domain = 'all' AND NOT low_n
),
final AS (
    SELECT c.* FROM ind_concentration c, start WHERE c.year >= start.first_year
)
SELECT * FROM final ORDER BY domain, year
