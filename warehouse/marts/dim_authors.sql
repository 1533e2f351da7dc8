-- One row per author of ML papers.
WITH names AS (
    SELECT
        a.author_id,
        trim(coalesce(a.forenames || ' ', '') || a.keyname || coalesce(' ' || a.suffix, '')) AS display_name
    FROM stg_arxiv__authorships AS a
    INNER JOIN dim_papers AS p ON p.paper_id = a.paper_id
),

display AS (
    SELECT author_id, mode(display_name ORDER BY display_name) AS display_name
    FROM names
    GROUP BY author_id
),

careers AS (
    SELECT
        author_id,
        count(*) AS n_papers,
        min(year) AS first_year,
        max(year) AS last_year
    FROM fct_authorships
    GROUP BY author_id
),

final AS (
    SELECT
        c.author_id,
        d.display_name,
        CAST(c.n_papers AS INTEGER) AS n_papers,
        CAST(c.first_year AS INTEGER) AS first_year,
        CAST(c.last_year AS INTEGER) AS last_year
    FROM careers AS c
    LEFT JOIN display AS d ON d.author_id = c.author_id
)

SELECT * FROM final
