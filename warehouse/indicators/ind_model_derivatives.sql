-- Derived models per base model per year, by relation: direct derivatives (one hop) from
-- fct_model_lineage, and for foundation models all descendants from fct_model_descendants.
WITH direct AS (
    SELECT base_model_id, created_year AS year, relation, count(DISTINCT model_id) AS n_direct
    FROM fct_model_lineage
    WHERE created_year IS NOT NULL
    GROUP BY ALL
),

deep AS (
    SELECT foundation_model_id AS base_model_id, created_year AS year, relation, count(*) AS n_descendants
    FROM fct_model_descendants
    WHERE created_year IS NOT NULL AND relation IS NOT NULL
    GROUP BY ALL
),

final AS (
    SELECT
        coalesce(d.base_model_id, x.base_model_id) AS base_model_id,
        coalesce(d.year, x.year) AS year,
        coalesce(d.relation, x.relation) AS relation,
        coalesce(d.n_direct, 0) AS n_direct,
        coalesce(x.n_descendants, 0) AS n_descendants,
        CAST(sum(coalesce(d.n_direct, 0)) OVER (
            PARTITION BY coalesce(d.base_model_id, x.base_model_id), coalesce(d.relation, x.relation)
            ORDER BY coalesce(d.year, x.year)) AS BIGINT) AS n_direct_cumulative,
        coalesce(d.n_direct, 0) < 10 AND coalesce(x.n_descendants, 0) < 10 AS low_n
    FROM direct AS d
    FULL OUTER JOIN deep AS x
        ON x.base_model_id = d.base_model_id AND x.year = d.year AND x.relation = d.relation
)

SELECT * FROM final ORDER BY base_model_id, year, relation
