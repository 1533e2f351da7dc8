-- References of each citing paper from its most recent Semantic Scholar fetch only (an older
-- fetch's list is superseded, not merged).
WITH source AS (
    SELECT * FROM {{ lake('semantic_scholar/references') }}
),

-- The latest fetch of a citing paper is the set of its rows with the newest fetched_at (one
-- response per paper per batch); a window max avoids a join or sort over every reference.
latest AS (
    SELECT *, max(fetched_at) OVER (PARTITION BY citing_arxiv_id) AS latest_fetched_at
    FROM source
),

final AS (
    SELECT
        citing_arxiv_id,
        position,
        cited_s2_paper_id,
        cited_corpus_id,
        cited_arxiv_id,
        lower(trim(cited_doi)) AS cited_doi,
        cited_title,
        cited_year,
        fetched_at,
        "batch" AS fetch_batch
    FROM latest
    WHERE fetched_at = latest_fetched_at
)

SELECT * FROM final
