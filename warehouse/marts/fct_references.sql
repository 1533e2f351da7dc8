-- Every reference of every ML paper, resolved or external.
WITH refs AS (
    SELECT * FROM int_references_resolved
),

final AS (
    SELECT
        r.citing_paper_id,
        r.position,
        r.cited_paper_id,
        r.resolution,
        r.cited_is_ml,
        r.cited_s2_paper_id,
        r.cited_corpus_id,
        r.cited_arxiv_id,
        r.cited_doi,
        r.cited_title,
        r.cited_year
    FROM refs AS r
    WHERE r.citing_is_ml
)

SELECT * FROM final
