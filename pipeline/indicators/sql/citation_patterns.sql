-- Citations per (citing year, cited paper's family-weight pattern), with the pattern's family
-- weights: edges to papers with the same pattern are interchangeable, so the bootstrap can draw
-- patterns multinomially, which is exactly resampling the edges.
WITH pattern AS (
    SELECT paper_id, string_agg(family || ':' || weight, ',' ORDER BY family) AS pattern_key
    FROM fct_paper_families GROUP BY paper_id
), counts AS (
    SELECT c.citing_year AS year, p.pattern_key, count(*) AS edges
    FROM fct_citations c JOIN pattern p ON p.paper_id = c.cited_paper_id
    WHERE c.citing_year IS NOT NULL GROUP BY ALL
), one AS (
    SELECT DISTINCT ON (pattern_key) pattern_key, paper_id FROM pattern ORDER BY pattern_key, paper_id
)
SELECT k.year, k.pattern_key, k.edges, f.family, f.weight
FROM counts k JOIN one o USING (pattern_key) JOIN fct_paper_families f ON f.paper_id = o.paper_id
ORDER BY k.year, k.pattern_key, f.family
