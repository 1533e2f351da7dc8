-- Base → derived model edges from all three sources, on canonical ids. Epoch's "Base model" is a
-- fine-tune; an Ecosystem Graphs dependency between two models is a "dependency". An edge that
-- resolves to a self-loop (two names of one model) is dropped.
WITH hf AS (
    SELECT base_model_id, model_id, relation, 'hf' AS source FROM stg_hf__links
),

epoch AS (
    SELECT DISTINCT b.model_id AS base_model_id, c.model_id, 'finetune' AS relation, 'epoch' AS source
    FROM (SELECT model, unnest(base_models) AS base_name FROM stg_epoch__models) AS e
    JOIN int_model_aliases AS c ON c.source = 'epoch' AND c.name = e.model
    JOIN int_model_aliases AS b ON b.source = 'epoch_base' AND b.name = e.base_name
),

eg AS (
    SELECT DISTINCT b.model_id AS base_model_id, c.model_id, 'dependency' AS relation, 'ecosystem_graphs' AS source
    FROM (SELECT name, unnest(dependencies) AS dep FROM stg_ecosystem__assets WHERE asset_type = 'model') AS g
    JOIN int_model_aliases AS c ON c.source = 'ecosystem_graphs' AND c.name = g.name
    JOIN int_model_aliases AS b ON b.source = 'ecosystem_graphs' AND b.name = g.dep
),

edges AS (
    SELECT * FROM hf
    UNION ALL SELECT * FROM epoch
    UNION ALL SELECT * FROM eg
),

final AS (
    SELECT
        e.base_model_id,
        e.model_id,
        e.relation,
        e.source,
        d.created_date,
        d.created_year
    FROM edges AS e
    LEFT JOIN dim_models AS d ON d.model_id = e.model_id
    WHERE e.base_model_id <> e.model_id
)

SELECT * FROM final ORDER BY base_model_id, model_id, source
