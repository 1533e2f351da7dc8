-- One row per arXiv paper: the most recent metadata across every ingest window and the snapshot.
WITH source AS (
    SELECT * FROM {{ lake('arxiv/papers') }}
),

ranked AS (
    SELECT
        *,
        count(*) OVER (PARTITION BY arxiv_id) AS n_windows,
        -- Latest metadata wins: the newest version date, then the newest OAI datestamp (snapshot
        -- rows have none), then the newest ingest.
        row_number() OVER (
            PARTITION BY arxiv_id
            ORDER BY last_updated_date DESC NULLS LAST, oai_datestamp DESC NULLS LAST, ingested_at DESC
        ) AS recency_rank
    FROM source
),

final AS (
    SELECT
        arxiv_id AS paper_id,
        arxiv_id,
        title,
        abstract,
        authors,
        authors_raw,
        categories,
        coalesce(primary_category, categories[1]) AS primary_category,
        first_version_date AS published_date,
        last_updated_date AS updated_date,
        CAST(year(first_version_date) AS INTEGER) AS year,
        doi,
        journal_ref,
        license,
        comments,
        report_no,
        submitter,
        latest_version,
        versions,
        oai_datestamp,
        record_format,
        ingested_at,
        "window" AS source_window,
        CAST(n_windows AS INTEGER) AS n_windows
    FROM ranked
    WHERE recency_rank = 1
)

SELECT * FROM final
