-- Collections (and their areas) each Papers With Code method belongs to.
WITH source AS (
    SELECT * FROM {{ lake('pwc/method_collections') }}
),

final AS (
    SELECT
        method_url,
        method_name,
        collection,
        area_id,
        area,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY method_url, collection ORDER BY "version" DESC) = 1
)

SELECT * FROM final
