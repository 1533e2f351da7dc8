-- Tasks Papers With Code attaches to each paper, one row per (paper_url, task); duplicate dump rows removed.
WITH source AS (
    SELECT * FROM {{ lake('pwc/paper_tasks') }}
),

final AS (
    SELECT
        paper_url,
        arxiv_id,
        task,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY paper_url, task ORDER BY "version" DESC) = 1
)

SELECT * FROM final
