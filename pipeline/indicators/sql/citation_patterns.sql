-- Citations per (citing year, cited paper's family-weight pattern), with the pattern's family
-- weights: edges to papers with the same pattern are interchangeable, so the bootstrap can draw
-- patterns multinomially, which is exactly resampling the edges. The 25M-edge aggregation groups
-- by a pattern number, not by the pattern's string (a third cheaper at 1M papers).
WITH pattern AS (
    SELECT paper_id, string_agg(family || ':' || weight, ',' ORDER BY family) AS pattern_key
    FROM fct_paper_families GROUP BY paper_id
),

numbered AS (
    SELECT paper_id, pattern_key, dense_rank() OVER (ORDER BY pattern_key) AS pattern_id FROM pattern
),

counts AS (
    SELECT c.citing_year AS year, p.pattern_id, count(*) AS edges
    FROM fct_citations AS c
    INNER JOIN numbered AS p ON p.paper_id = c.cited_paper_id
    WHERE c.citing_year IS NOT NULL
    GROUP BY ALL
),

one AS (
    SELECT pattern_id, any_value(pattern_key) AS pattern_key, min(paper_id) AS paper_id
    FROM numbered
    GROUP BY pattern_id
),

final AS (
    SELECT k.year, o.pattern_key, k.edges, f.family, f.weight
    FROM counts AS k
    INNER JOIN one AS o USING (pattern_id)
    INNER JOIN fct_paper_families AS f ON f.paper_id = o.paper_id
)

SELECT * FROM final ORDER BY year, pattern_key, family
