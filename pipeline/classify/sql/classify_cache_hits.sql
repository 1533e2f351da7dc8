-- ML papers whose (paper_id, text hash) the classification cache holds: their verdicts, unchanged.
-- $1: the cache segments of this classifier version (a list of Parquet files).
WITH papers AS (
    SELECT paper_id, {{ text_hash }} AS text_hash
    FROM int_papers
    WHERE is_ml
),

cached AS (
    SELECT paper_id, text_hash, any_value(primary_family) AS primary_family, any_value(families) AS families,
           any_value(confidence) AS confidence
    FROM read_parquet($1)
    GROUP BY paper_id, text_hash
),

final AS (
    SELECT p.paper_id, c.primary_family, c.families, c.confidence, 'text' AS provenance
    FROM papers AS p
    INNER JOIN cached AS c ON c.paper_id = p.paper_id AND c.text_hash = p.text_hash
)

SELECT * FROM final
