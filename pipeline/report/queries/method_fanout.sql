-- The top foundation methods by downstream papers, each with its largest direct children.
WITH roots AS (
    SELECT method_name AS root, downstream_papers AS downstream
    FROM fct_method_lineage WHERE is_foundation
    ORDER BY downstream_papers DESC, method_name LIMIT 6
),
children AS (
    SELECT e.parent_method AS root, e.child_method AS child, coalesce(m.downstream_papers, 0) AS downstream,
           row_number() OVER (PARTITION BY e.parent_method ORDER BY m.downstream_papers DESC NULLS LAST, e.child_method) AS rank
    FROM fct_lineage_edges e JOIN roots r ON r.root = e.parent_method
    LEFT JOIN fct_method_lineage m ON m.method_name = e.child_method
),
final AS (
    SELECT root, CAST(NULL AS VARCHAR) AS child, downstream FROM roots
    UNION ALL
    SELECT root, child, downstream FROM children WHERE rank <= 4
)
SELECT * FROM final ORDER BY root, child NULLS FIRST
