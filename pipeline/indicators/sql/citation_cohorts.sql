-- Internal citations received by each ML paper (fct_citations, counted once by
-- fct_paper_citation_metrics.in_degree), with its publication year (for the cohort Gini).
SELECT p.year, coalesce(c.n, 0) AS citations
FROM dim_papers p
LEFT JOIN (SELECT paper_id, in_degree AS n FROM fct_paper_citation_metrics) c
       ON c.paper_id = p.paper_id
WHERE p.is_ml AND p.year IS NOT NULL
ORDER BY p.year
