-- Distinct citation edges as sweep node indices, in (citing, cited) order: CSR rows of citers.
WITH edges AS (
    SELECT DISTINCT citing_paper_id, cited_paper_id FROM fct_citations
),

final AS (
    SELECT a.idx AS citing, b.idx AS cited
    FROM edges AS e
    INNER JOIN _cd_nodes AS a ON a.paper_id = e.citing_paper_id
    INNER JOIN _cd_nodes AS b ON b.paper_id = e.cited_paper_id
)

SELECT * FROM final ORDER BY citing, cited
