-- References of each citing paper from its most recent Semantic Scholar fetch only (an older
-- fetch's list is superseded, not merged).
WITH source AS (
    SELECT * FROM {{ lake('semantic_scholar/references') }}
),

latest_fetch AS (
    SELECT citing_arxiv_id, arg_max("batch", fetched_at) AS fetch_batch
    FROM source
    GROUP BY citing_arxiv_id
),

final AS (
    SELECT
        s.citing_arxiv_id,
        s.position,
        s.cited_s2_paper_id,
        s.cited_corpus_id,
        s.cited_arxiv_id,
        lower(trim(s.cited_doi)) AS cited_doi,
        s.cited_title,
        s.cited_year,
        s.fetched_at,
        s."batch" AS fetch_batch
    FROM source AS s
    INNER JOIN latest_fetch AS l
        ON s.citing_arxiv_id = l.citing_arxiv_id AND s."batch" = l.fetch_batch
    QUALIFY row_number() OVER (PARTITION BY s.citing_arxiv_id, s.position ORDER BY s.fetched_at DESC) = 1
)

SELECT * FROM final
