-- CD sweep node numbering: one row per paper, dated papers first in date order, then undated ones
-- by year (their window falls back to calendar years), papers with neither last. The sweep cuts
-- this order into blocks, so a focal paper's window is a short run of neighbouring blocks.
WITH papers AS (
    SELECT paper_id, published_date, year,
           coalesce(is_ml, false) AND year IS NOT NULL AS is_focal
    FROM dim_papers
),

final AS (
    SELECT paper_id,
           CAST(row_number() OVER (ORDER BY published_date IS NULL, published_date, year, paper_id) - 1
                AS INTEGER) AS idx,
           CAST(published_date - DATE '1970-01-01' AS INTEGER) AS day,
           -- the window end as DuckDB computes it (Feb 29 + 5 years = Feb 28), in days
           CAST(CAST(published_date + to_years({{ window }}) AS DATE) - DATE '1970-01-01' AS INTEGER) AS end_day,
           CAST(year AS INTEGER) AS year,
           is_focal
    FROM papers
)

SELECT * FROM final
