-- Citation edges as sweep node indices. fct_citations has one row per (citing, cited) (its unique
-- key, tested by the model tests), so no DISTINCT; the sweep needs no order either.
WITH final AS (
    SELECT a.idx AS citing, b.idx AS cited
    FROM fct_citations AS e
    INNER JOIN _cd_nodes AS a ON a.paper_id = e.citing_paper_id
    INNER JOIN _cd_nodes AS b ON b.paper_id = e.cited_paper_id
)

SELECT * FROM final
