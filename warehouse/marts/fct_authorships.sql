-- Who wrote which ML paper, with the paper's date for career analyses.
WITH authorships AS (
    SELECT * FROM stg_arxiv__authorships
),

final AS (
    SELECT
        a.paper_id,
        a.author_id,
        CAST(min(a.position) AS INTEGER) AS position,
        p.published_date,
        p.year
    FROM authorships AS a
    INNER JOIN dim_papers AS p ON p.paper_id = a.paper_id
    GROUP BY a.paper_id, a.author_id, p.published_date, p.year
)

SELECT * FROM final
