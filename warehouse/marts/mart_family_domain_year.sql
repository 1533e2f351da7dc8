-- Papers by family, primary domain and year, fractional and any-label, over classified papers.
-- 'other' in fct_paper_families means no family was found: it is coverage, not a family, so it
-- has no row here and no part in any share; the unclassified share is a column of its own.
WITH labelled AS (
    SELECT f.paper_id, f.family, f.weight, f.is_primary, p.primary_domain AS domain, p.year
    FROM fct_paper_families AS f
    INNER JOIN dim_papers AS p ON p.paper_id = f.paper_id
    WHERE p.year IS NOT NULL AND f.family <> 'other'
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
    SELECT
        p.year,
        p.primary_domain AS domain,
        count(*) AS domain_papers,
        count(*) FILTER (WHERE p.paper_id IN (SELECT paper_id FROM labelled)) AS classified_papers
    FROM dim_papers AS p
    WHERE p.year IS NOT NULL
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
        CAST(t.classified_papers AS INTEGER) AS classified_papers,
        1.0 - t.classified_papers / t.domain_papers AS unclassified_share,
        c.papers_fractional / t.classified_papers AS share_fractional
    FROM cells AS c
    INNER JOIN totals AS t ON t.year = c.year AND t.domain = c.domain
)

SELECT * FROM final
