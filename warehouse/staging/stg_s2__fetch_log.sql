-- Outcome of every Semantic Scholar lookup, one row per requested arXiv id per fetch batch (history kept).
WITH source AS (
    SELECT * FROM {{ lake('semantic_scholar/fetch_log') }}
),

final AS (
    SELECT
        arxiv_id,
        status,
        fetched_at,
        detail,
        "batch" AS fetch_batch
    FROM source
)

SELECT * FROM final
