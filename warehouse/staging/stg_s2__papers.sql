-- One row per arXiv id Semantic Scholar found: the most recent fetch wins.
WITH source AS (
    SELECT * FROM {{ lake('semantic_scholar/papers') }}
),

final AS (
    SELECT
        arxiv_id,
        s2_paper_id,
        corpus_id,
        doi,
        title,
        year,
        citation_count,
        reference_count,
        influential_citation_count,
        fetched_at,
        "batch" AS fetch_batch
    FROM source
    QUALIFY row_number() OVER (PARTITION BY arxiv_id ORDER BY fetched_at DESC, "batch" DESC) = 1
)

SELECT * FROM final
