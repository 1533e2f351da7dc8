-- The Papers With Code methods taxonomy, one row per method page; introduced_year is null where PwC gives its placeholder year 2000.
WITH source AS (
    SELECT * FROM {{ lake('pwc/methods') }}
),

final AS (
    SELECT
        method_url,
        name,
        full_name,
        description,
        paper_title,
        paper_url,
        introduced_year,
        source_url,
        source_title,
        code_snippet_url,
        num_papers,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY method_url ORDER BY "version" DESC) = 1
)

SELECT * FROM final
