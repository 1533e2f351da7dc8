-- Papers by family, primary domain and year, fractional and any-label.
WITH labelled AS (
    SELECT f.paper_id, f.family, f.weight, f.is_primary, p.primary_domain AS domain, p.year
    FROM fct_paper_families AS f
    INNER JOIN dim_papers AS p ON p.paper_id = f.paper_id
    WHERE p.year IS NOT NULL
),

cells AS (
    SELECT
        year,
        domain,
        family,
        sum(weight) AS papers_fractional,
        count(DISTINCT paper_id) AS papers_any,
        count(DISTINCT paper_id) FILTER (WHERE is_primary) AS papers_primary
    FROM labelled
    GROUP BY year, domain, family
),

totals AS (
    SELECT year, primary_domain AS domain, count(*) AS domain_papers
    FROM dim_papers
    WHERE year IS NOT NULL
    GROUP BY ALL
),

final AS (
    SELECT
        c.year,
        c.domain,
        c.family,
        c.papers_fractional,
        CAST(c.papers_any AS INTEGER) AS papers_any,
        CAST(c.papers_primary AS INTEGER) AS papers_primary,
        CAST(t.domain_papers AS INTEGER) AS domain_papers,
        c.papers_fractional / t.domain_papers AS share_fractional
    FROM cells AS c
    INNER JOIN totals AS t ON t.year = c.year AND t.domain = c.domain
)

SELECT * FROM final
