-- Family counts of each dated ML paper's references (cited papers with a family whose provenance
-- is not none), by _pivot_papers number and a dense family number, in paper order.
WITH counts AS (
    SELECT p.code, q.primary_family AS family, count(*) AS x
    FROM fct_citations AS c
    INNER JOIN _pivot_papers AS p ON p.paper_id = c.citing_paper_id
    INNER JOIN dim_papers AS q ON q.paper_id = c.cited_paper_id
    WHERE q.primary_family IS NOT NULL AND coalesce(q.family_provenance, '') <> 'none'
    GROUP BY ALL
),

final AS (
    SELECT code, CAST(dense_rank() OVER (ORDER BY family) - 1 AS INTEGER) AS family, x
    FROM counts
)

SELECT * FROM final ORDER BY code, family
