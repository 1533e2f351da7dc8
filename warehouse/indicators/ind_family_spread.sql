-- How widely each family has spread across domains each year: entropy of its fractional papers
-- over domains, and the number of domains where its share reached 10% (the adoption threshold).
WITH cells AS (
    SELECT year, family, domain, papers_fractional AS x, share
    FROM ind_family_share WHERE domain <> 'all' AND papers_fractional > 0
), totals AS (
    SELECT year, family, sum(x) AS total FROM cells GROUP BY year, family
), active AS (
    SELECT year, count(DISTINCT domain) AS n_domains_active
    FROM ind_family_share WHERE domain <> 'all' GROUP BY year
), final AS (
    SELECT c.year, c.family, t.total AS papers_fractional,
           count(*) AS n_domains_present,
           count(*) FILTER (WHERE c.share >= 0.1) AS n_domains_10pct,
           -sum((c.x / t.total) * ln(c.x / t.total)) AS domain_entropy,
           CASE WHEN a.n_domains_active > 1
                THEN -sum((c.x / t.total) * ln(c.x / t.total)) / ln(a.n_domains_active) END
               AS domain_entropy_normalised,
           a.n_domains_active
    FROM cells AS c JOIN totals AS t USING (year, family) JOIN active AS a USING (year)
    GROUP BY c.year, c.family, t.total, a.n_domains_active
)
SELECT * FROM final ORDER BY family, year
