-- Pivot-size paper numbering: the dated ML papers, numbered in paper_id order so that sorting by
-- the number is sorting by paper_id. The author-paper rows and the reference families are read
-- with this number (pivot_author_papers.sql, pivot_reference_families.sql) and joined in NumPy.
WITH final AS (
    SELECT paper_id, published_date, year,
           CAST(published_date - DATE '1970-01-01' AS INTEGER) AS day,
           CAST(row_number() OVER (ORDER BY paper_id) - 1 AS INTEGER) AS code
    FROM dim_papers
    WHERE is_ml AND published_date IS NOT NULL AND year IS NOT NULL
)

SELECT * FROM final
