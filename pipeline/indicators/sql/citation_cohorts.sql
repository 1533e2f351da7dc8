-- Internal citations received by each ML paper, with its publication year (for the cohort Gini).
SELECT p.year, coalesce(c.n, 0) AS citations
FROM dim_papers p
LEFT JOIN (SELECT cited_paper_id, count(*) AS n FROM fct_citations GROUP BY 1) c
       ON c.cited_paper_id = p.paper_id
WHERE p.is_ml AND p.year IS NOT NULL
ORDER BY p.year
