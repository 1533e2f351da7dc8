-- Named models each ML paper builds on, with the model's family and lineage from the alias seed.
WITH mentions AS (
    SELECT * FROM int_paper_model_mentions
),

models AS (
    SELECT
        model_key,
        any_value(model_name) AS model_name,
        any_value(family) AS model_family,
        any_value(nullif(base_model, '')) AS base_model,
        any_value(nullif(foundation_method, '')) AS foundation_method,
        any_value(nullif(organisation, '')) AS organisation,
        any_value(TRY_CAST(release_year AS INTEGER)) AS release_year
    FROM {{ seed('model_aliases') }}
    GROUP BY model_key
),

papers AS (
    SELECT paper_id, year FROM dim_papers
),

final AS (
    SELECT
        m.paper_id,
        m.model_key,
        mo.model_name,
        mo.model_family,
        m.relation,
        m.confidence,
        m.mention_text,
        m.evidence_span,
        m.cue,
        m.in_title,
        mo.base_model,
        mo.foundation_method,
        mo.organisation,
        mo.release_year,
        p.year AS paper_year
    FROM mentions AS m
    INNER JOIN papers AS p ON p.paper_id = m.paper_id
    LEFT JOIN models AS mo ON mo.model_key = m.model_key
)

SELECT * FROM final
ORDER BY paper_id, model_key
