-- Births of new methods per year, and how many come from outside the field's dominant family that year:
-- a field that keeps inventing outside its dominant architecture has not lost its diversity.
WITH dated_methods AS (
    SELECT method_name, family, introduced_year
    FROM dim_methods
    WHERE introduced_year IS NOT NULL
),

dominant AS (
    SELECT year, dominant_family, dominant_share
    FROM ind_concentration
    WHERE domain = 'all'
),

final AS (
    SELECT m.introduced_year,
           d.dominant_family,
           d.dominant_share,
           count(*) AS n_new_methods,
           count(*) FILTER (WHERE m.family IS NOT NULL AND m.family <> 'other') AS n_classified,
           count(*) FILTER (WHERE m.family IS NOT NULL AND m.family <> 'other'
                            AND m.family IS DISTINCT FROM d.dominant_family) AS n_outside_dominant,
           n_outside_dominant / nullif(n_classified, 0) AS share_outside_dominant,
           n_classified < 10 AS low_n
    FROM dated_methods AS m
    LEFT JOIN dominant AS d ON d.year = m.introduced_year
    GROUP BY m.introduced_year, d.dominant_family, d.dominant_share
)

SELECT * FROM final ORDER BY introduced_year
