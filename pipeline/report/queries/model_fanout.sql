-- Roots of the model-lineage graph (parents never derived themselves) and their largest children.
WITH edges AS (
    SELECT DISTINCT base_model_id AS parent_model, model_id AS child_model FROM fct_model_lineage
),
children_of AS (
    SELECT parent_model, count(*) AS n_children FROM edges GROUP BY parent_model
),
roots AS (
    SELECT c.parent_model AS root, c.n_children AS downstream
    FROM children_of c
    WHERE c.parent_model NOT IN (SELECT child_model FROM edges WHERE child_model IS NOT NULL)
    ORDER BY c.n_children DESC, c.parent_model LIMIT 6
),
kids AS (
    SELECT e.parent_model AS root, e.child_model AS child, coalesce(c.n_children, 0) AS downstream,
           row_number() OVER (PARTITION BY e.parent_model ORDER BY c.n_children DESC NULLS LAST, e.child_model) AS rank
    FROM edges e JOIN roots r ON r.root = e.parent_model
    LEFT JOIN children_of c ON c.parent_model = e.child_model
),
final AS (
    SELECT root, CAST(NULL AS VARCHAR) AS child, downstream FROM roots
    UNION ALL
    SELECT root, child, downstream FROM kids WHERE rank <= 4
)
SELECT * FROM final ORDER BY root, child NULLS FIRST
