-- fct_builds_on_downstream_by_year (run by pipeline.classify.mentions_warehouse:build_builds_on_downstream
-- after the lineage step, whose fct_lineage_edges it reads).
-- Downstream papers per root per year over both sources (PwC methods and named-model mentions):
-- a paper counts for the model it names, every base model of that model (alias seed), the
-- model's foundation method and every lineage ancestor of that method (fct_lineage_edges).
WITH RECURSIVE links AS (
    SELECT * FROM fct_paper_builds_on WHERE year IS NOT NULL
),

-- _model_bases (model_key, base_model) is the alias seed, registered by the Python step.
models AS (
    SELECT model_key, base_model FROM _model_bases
),

-- (model, itself or an ancestor); UNION keeps the recursion finite even if the seed had a cycle.
model_chain AS (
    SELECT model_key, model_key AS ancestor FROM models
    UNION
    SELECT c.model_key, m.base_model AS ancestor
    FROM model_chain AS c
    INNER JOIN models AS m ON m.model_key = c.ancestor
    WHERE m.base_model IS NOT NULL
),

used_methods AS (
    SELECT DISTINCT method_name FROM links WHERE method_name IS NOT NULL
),

-- (method, itself or a lineage ancestor); lineage_cycles can exist, UNION stops on them.
method_chain AS (
    SELECT method_name, method_name AS ancestor FROM used_methods
    UNION
    SELECT c.method_name, e.parent_method AS ancestor
    FROM method_chain AS c
    INNER JOIN fct_lineage_edges AS e ON e.child_method = c.ancestor
),

reached AS (
    SELECT 'model' AS root_kind, mc.ancestor AS root, l.paper_id, l.year, l.source
    FROM links AS l
    INNER JOIN model_chain AS mc ON mc.model_key = l.model_key
    UNION ALL
    SELECT 'method' AS root_kind, mc.ancestor AS root, l.paper_id, l.year, l.source
    FROM links AS l
    INNER JOIN method_chain AS mc ON mc.method_name = l.method_name
),

counted AS (
    SELECT
        root_kind,
        root,
        CAST(year AS INTEGER) AS year,
        count(DISTINCT paper_id) AS downstream_papers,
        count(DISTINCT paper_id) FILTER (WHERE source = 'text') AS text_papers,
        count(DISTINCT paper_id) FILTER (WHERE source = 'pwc') AS pwc_papers
    FROM reached
    GROUP BY ALL
),

final AS (
    SELECT
        *,
        CAST(sum(downstream_papers) OVER (PARTITION BY root_kind, root ORDER BY year) AS BIGINT)
            AS cumulative_downstream_papers
    FROM counted
)

SELECT * FROM final
ORDER BY root_kind, root, year
