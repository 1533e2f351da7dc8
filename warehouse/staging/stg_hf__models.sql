-- One row per Hub model: the latest batch wins, and a readable model_info beats a placeholder
-- (a later crawl that hit a 404 must not erase what an earlier one read).
WITH source AS (
    SELECT * FROM {{ lake('hf/models') }}
),

final AS (
    SELECT
        model_id,
        author,
        created_at,
        last_modified,
        downloads,
        likes,
        library_name,
        pipeline_tag,
        model_type,
        architectures,
        tags,
        arxiv_ids,
        gated,
        card_text,
        tree_root,
        depth,
        info_status,
        fetched_at,
        "batch" AS ingest_batch
    FROM source
    QUALIFY row_number() OVER (
        PARTITION BY model_id
        ORDER BY (info_status = 'ok') DESC, fetched_at DESC, "batch" DESC
    ) = 1
)

SELECT * FROM final
