-- One row per Papers With Code paper page, with its arXiv id normalised at ingest.
WITH source AS (
    SELECT * FROM {{ lake('pwc/papers') }}
),

final AS (
    SELECT
        paper_url,
        arxiv_id,
        title,
        abstract,
        url_abs,
        url_pdf,
        proceeding,
        authors,
        date,
        CAST(year(date) AS INTEGER) AS year,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY paper_url ORDER BY "version" DESC) = 1
)

SELECT * FROM final
