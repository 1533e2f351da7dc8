-- Epoch AI notable models of the current CSV version (the client keeps one version in the lake).
WITH source AS (
    SELECT * FROM {{ lake('epoch/models') }}
),

final AS (
    SELECT
        row_no,
        model,
        domain,
        organization,
        organization_category,
        country,
        publication_date,
        reference,
        link,
        arxiv_id,
        parameters,
        training_compute_flop,
        base_models,
        accessibility,
        abstract,
        "version" AS file_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY model ORDER BY publication_date DESC NULLS LAST, row_no) = 1
)

SELECT * FROM final
