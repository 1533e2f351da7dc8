-- Every (method or named model, foundation ancestor) pair with the fewest lineage hops between them.
-- Methods climb fct_lineage_edges to methods flagged is_foundation; named models climb the alias
-- seed's base_model chain to models without a base. The recursion is a breadth-first search keyed on
-- (kind, node, ancestor) that never revisits a pair, so lineage cycles end it and hops is the minimum.
WITH RECURSIVE aliases AS (
    SELECT DISTINCT model_key, nullif(trim(base_model), '') AS base_model
    FROM {{ seed('model_aliases') }}
),

edges AS (
    SELECT DISTINCT 'method' AS kind, parent_method AS parent, child_method AS child FROM fct_lineage_edges
    UNION
    SELECT 'model' AS kind, base_model AS parent, model_key AS child FROM aliases WHERE base_model IS NOT NULL
),

starts AS (
    SELECT DISTINCT 'method' AS kind, method_name AS node FROM fct_paper_builds_on WHERE method_name IS NOT NULL
    UNION
    SELECT DISTINCT 'model' AS kind, model_key AS node FROM fct_paper_builds_on WHERE model_key IS NOT NULL
),

chain (kind, node, ancestor, hops) USING KEY (kind, node, ancestor) AS (
    SELECT kind, node, node, 0 FROM starts
    UNION
    SELECT c.kind, c.node, e.parent, c.hops + 1
    FROM chain AS c
    INNER JOIN edges AS e ON e.kind = c.kind AND e.child = c.ancestor
    LEFT JOIN recurring.chain AS seen ON seen.kind = c.kind AND seen.node = c.node AND seen.ancestor = e.parent
    WHERE seen.node IS NULL
),

foundations AS (
    SELECT 'method' AS kind, method_name AS foundation, descendants FROM fct_method_lineage WHERE is_foundation
    UNION ALL
    SELECT 'model' AS kind, a.model_key AS foundation,
           (SELECT count(DISTINCT d.model_key) FROM aliases AS d WHERE d.base_model = a.model_key) AS descendants
    FROM aliases AS a GROUP BY a.model_key HAVING count(a.base_model) = 0
),

final AS (
    SELECT c.kind, c.node, c.ancestor AS foundation, c.hops, f.descendants AS foundation_descendants
    FROM chain AS c
    INNER JOIN foundations AS f ON f.kind = c.kind AND f.foundation = c.ancestor
)

SELECT * FROM final ORDER BY kind, node, hops, foundation
