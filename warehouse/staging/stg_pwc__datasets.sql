-- The Papers With Code dataset catalogue.
WITH source AS (
    SELECT * FROM {{ lake('pwc/datasets') }}
),

final AS (
    SELECT
        dataset_url,
        name,
        full_name,
        homepage,
        description,
        paper_title,
        paper_url,
        introduced_date,
        modalities,
        languages,
        tasks,
        num_papers,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY dataset_url ORDER BY "version" DESC) = 1
)

SELECT * FROM final
