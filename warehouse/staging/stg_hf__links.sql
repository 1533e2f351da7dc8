-- One row per (base, derived) pair. The relation comes from the strongest evidence: the Hub's own
-- base_model:<relation>:<id> tag, then the base's listing, then the card's base_model.
WITH source AS (
    SELECT * FROM {{ lake('hf/links') }}
),

ranked AS (
    SELECT
        *,
        CASE evidence WHEN 'tag' THEN 1 WHEN 'listing' THEN 2 ELSE 3 END AS evidence_rank
    FROM source
),

final AS (
    SELECT
        base_model_id,
        model_id,
        arg_min(relation, evidence_rank) AS relation,
        list_sort(list_distinct(list(evidence))) AS evidence,
        bool_or(note = 'base_list') AS base_list,
        min(fetched_at) AS first_seen_at
    FROM ranked
    GROUP BY base_model_id, model_id
)

SELECT * FROM final
