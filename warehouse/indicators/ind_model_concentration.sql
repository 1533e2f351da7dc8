-- How concentrated derivation is on a few bases and on a few organisations. A derived model with k
-- bases (a merge) counts 1/k for each, so every derived model weighs 1. Ecosystem Graphs
-- "dependency" edges are left out: they mix use and derivation.
WITH edges AS (
    SELECT l.base_model_id, l.model_id, l.created_year,
           coalesce(b.organisation, 'unknown') AS base_org
    FROM fct_model_lineage AS l
    LEFT JOIN dim_models AS b ON b.model_id = l.base_model_id
    WHERE l.relation <> 'dependency'
),

bases_per_model AS (
    SELECT model_id, count(DISTINCT base_model_id) AS k FROM edges GROUP BY model_id
),

weighted AS (
    SELECT DISTINCT e.base_model_id, e.model_id, e.base_org, 1.0 / k.k AS w,
           CAST(e.created_year AS VARCHAR) AS period
    FROM edges AS e JOIN bases_per_model AS k USING (model_id)
),

periods AS (
    SELECT base_model_id, model_id, base_org, w, period FROM weighted WHERE period IS NOT NULL
    UNION ALL
    SELECT base_model_id, model_id, base_org, w, 'all' AS period FROM weighted
),

units AS (
    SELECT 'base_model' AS level, period, base_model_id AS unit, sum(w) AS n FROM periods GROUP BY ALL
    UNION ALL
    SELECT 'base_organisation' AS level, period, base_org AS unit, sum(w) AS n FROM periods GROUP BY ALL
),

shares AS (
    SELECT *, n / sum(n) OVER (PARTITION BY level, period) AS share,
           row_number() OVER (PARTITION BY level, period ORDER BY n DESC, unit) AS rnk
    FROM units
),

top5_orgs AS (
    SELECT period, sum(share) AS top5_org_share
    FROM shares WHERE level = 'base_organisation' AND rnk <= 5 GROUP BY period
),

final AS (
    SELECT
        s.level,
        s.period,
        sum(s.n) AS n_derived,
        count(*) AS n_units,
        sum(s.share * s.share) AS hhi,
        1.0 / sum(s.share * s.share) AS effective_units,
        arg_min(s.unit, s.rnk) AS top_unit,
        max(s.share) AS top_share,
        any_value(t.top5_org_share) AS top5_org_share,
        sum(s.n) < 10 AS low_n
    FROM shares AS s
    LEFT JOIN top5_orgs AS t USING (period)
    GROUP BY s.level, s.period
)

SELECT * FROM final ORDER BY level, period
