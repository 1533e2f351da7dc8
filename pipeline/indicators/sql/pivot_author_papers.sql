-- One row per (author, dated ML paper) over _pivot_papers, in (author_id, date, paper_id) order
-- (the order of ind_pivot_size), with a dense author number in the same order and the citations
-- (fct_citations, all time: in_degree of fct_paper_citation_metrics, not a second 25M-row GROUP BY
-- of the edges) the paper receives, the switch penalty's outcome, and whether the
-- outcome window of {{ days }} days ends by 31 December of the last corpus year.
WITH ap AS (
    SELECT DISTINCT a.author_id, p.paper_id, p.code, p.published_date, p.year, p.day
    FROM fct_authorships AS a
    INNER JOIN _pivot_papers AS p USING (paper_id)
    WHERE a.author_id IS NOT NULL
),

received AS (
    SELECT paper_id, in_degree AS c FROM fct_paper_citation_metrics
),

corpus_end AS (
    SELECT make_date(max(year)::INTEGER, 12, 31) - DATE '1970-01-01' AS day FROM dim_papers WHERE is_ml
),

final AS (
    SELECT ap.author_id, ap.paper_id, ap.code, ap.published_date, ap.year, ap.day,
           CAST(dense_rank() OVER (ORDER BY ap.author_id) - 1 AS INTEGER) AS author,
           coalesce(r.c, 0) AS received,
           ap.day + {{ days }} <= (SELECT day FROM corpus_end) AS window_complete
    FROM ap
    LEFT JOIN received AS r USING (paper_id)
)

SELECT * FROM final ORDER BY author_id, day, paper_id
