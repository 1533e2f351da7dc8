-- The published build's PageRank by this build's node index: the warm start of the power
-- iteration. Papers new tonight have no row and start at 1/n.
WITH final AS (
    SELECT n.idx, p.pagerank
    FROM _published.fct_paper_citation_metrics AS p
    INNER JOIN _citation_nodes AS n ON n.paper_id = p.paper_id
    WHERE p.pagerank IS NOT NULL
)

SELECT * FROM final
