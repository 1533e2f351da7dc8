-- One row per citation of a dated ML paper (by _pivot_papers number) to a paper with a family whose
-- provenance is not none, with a dense family number. Not aggregated here: grouping the ~23M rows
-- by (code, family) and sorting ~9M groups cost about as much as both joins at 1M papers, while a
-- NumPy bincount over code × family gives the same counts already in (code, family) order
-- (pivot.reference_family_counts).
WITH families AS (
    SELECT paper_id, CAST(dense_rank() OVER (ORDER BY primary_family) - 1 AS INTEGER) AS family
    FROM dim_papers
    WHERE primary_family IS NOT NULL AND coalesce(family_provenance, '') <> 'none'
),

final AS (
    SELECT p.code, q.family
    FROM fct_citations AS c
    INNER JOIN _pivot_papers AS p ON p.paper_id = c.citing_paper_id
    INNER JOIN families AS q ON q.paper_id = c.cited_paper_id
)

SELECT * FROM final
