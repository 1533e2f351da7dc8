-- Paper → author links as sweep node index and a dense author number.
WITH links AS (
    SELECT DISTINCT n.idx, a.author_id
    FROM fct_authorships AS a
    INNER JOIN _cd_nodes AS n USING (paper_id)
    WHERE a.author_id IS NOT NULL
),

final AS (
    SELECT idx, CAST(dense_rank() OVER (ORDER BY author_id) - 1 AS INTEGER) AS author
    FROM links
)

SELECT * FROM final
