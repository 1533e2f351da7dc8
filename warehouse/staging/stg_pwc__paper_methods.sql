-- Methods Papers With Code says each paper uses, one row per (paper_url, method_name); duplicate dump rows removed.
WITH source AS (
    SELECT * FROM {{ lake('pwc/paper_methods') }}
),

final AS (
    SELECT
        paper_url,
        arxiv_id,
        method_name,
        method_full_name,
        main_collection,
        main_collection_area,
        introduced_year,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY paper_url, method_name ORDER BY "version" DESC) = 1
)

SELECT * FROM final
