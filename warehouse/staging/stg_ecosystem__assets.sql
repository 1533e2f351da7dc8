-- Ecosystem Graphs assets of the current version (the client keeps one version in the lake).
WITH source AS (
    SELECT * FROM {{ lake('ecosystem_graphs/assets') }}
),

final AS (
    SELECT
        asset_type,
        name,
        organization,
        created_date,
        modality,
        access,
        license,
        size,
        url,
        model_card,
        dependencies,
        description,
        source_file,
        "version" AS file_version
    FROM source
)

SELECT * FROM final
