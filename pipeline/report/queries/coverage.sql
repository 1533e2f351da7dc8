-- Classifier coverage per domain-year: ML papers with a family other than 'other', of all ML papers.
WITH papers AS (
    SELECT primary_domain AS domain, year, primary_family FROM dim_papers WHERE is_ml AND year IS NOT NULL
),
per_domain AS (
    SELECT domain, year, count(*) FILTER (WHERE primary_family IS NOT NULL AND primary_family <> 'other') AS classified,
           count(*) AS papers
    FROM papers GROUP BY domain, year
),
field AS (
    SELECT 'all' AS domain, year, sum(classified) AS classified, sum(papers) AS papers FROM per_domain GROUP BY year
),
final AS (
    SELECT domain, year, CAST(classified AS BIGINT) AS classified, CAST(papers AS BIGINT) AS papers FROM per_domain
    UNION ALL
    SELECT domain, year, CAST(classified AS BIGINT), CAST(papers AS BIGINT) FROM field
)
SELECT * FROM final ORDER BY domain, year
