-- Shares of classified papers only ('other' = unclassified), from the first year the field is not low_n.
WITH start AS (
    SELECT coalesce(min(year), 0) AS first_year FROM ind_family_share WHERE domain = 'all' AND NOT low_n
),
final AS (
    SELECT s.domain, s.year, s.family, s.share, s.low_n, s.domain_papers
    FROM ind_family_share s, start
    WHERE s.family <> 'other' AND s.year >= start.first_year
)
SELECT * FROM final ORDER BY domain, year, family
