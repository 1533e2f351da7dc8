-- Internal citation edges between ML corpus papers.
WITH edges AS (
    SELECT DISTINCT citing_paper_id, cited_paper_id
    FROM fct_references
    WHERE cited_paper_id IS NOT NULL AND cited_is_ml AND cited_paper_id <> citing_paper_id
),

final AS (
    SELECT
        e.citing_paper_id,
        e.cited_paper_id,
        citing.published_date AS citing_date,
        citing.year AS citing_year,
        cited.published_date AS cited_date,
        cited.year AS cited_year
    FROM edges AS e
    INNER JOIN dim_papers AS citing ON citing.paper_id = e.citing_paper_id
    INNER JOIN dim_papers AS cited ON cited.paper_id = e.cited_paper_id
)

SELECT * FROM final
