-- Fewer models across more domains: per foundation (method or named model) and year, the ML papers
-- building on it or on any descendant (fct_paper_builds_on, PwC or text) and the distinct primary
-- domains of those papers, that year and cumulatively.
WITH reached AS (
    SELECT DISTINCT a.kind, a.foundation, b.paper_id, CAST(b.year AS INTEGER) AS year, p.primary_domain AS domain
    FROM fct_paper_builds_on AS b
    INNER JOIN ind_foundation_ancestors AS a
        ON (a.kind = 'method' AND a.node = b.method_name) OR (a.kind = 'model' AND a.node = b.model_key)
    INNER JOIN dim_papers AS p ON p.paper_id = b.paper_id
    WHERE b.year IS NOT NULL
),

first_reach AS (
    SELECT kind, foundation, domain, min(year) AS first_year
    FROM reached WHERE domain IS NOT NULL GROUP BY ALL
),

per_year AS (
    SELECT kind, foundation, year, count(DISTINCT paper_id) AS n_papers,
           count(DISTINCT domain) AS n_domains,
           list_sort(list(DISTINCT domain) FILTER (WHERE domain IS NOT NULL)) AS domains
    FROM reached GROUP BY ALL
),

final AS (
    SELECT y.kind, y.foundation, y.year, y.n_papers, y.n_domains, y.domains,
           (SELECT count(*) FROM first_reach AS f
            WHERE f.kind = y.kind AND f.foundation = y.foundation AND f.first_year <= y.year) AS n_domains_cumulative,
           y.n_papers < 10 AS low_n
    FROM per_year AS y
)

SELECT * FROM final ORDER BY kind, foundation, year
