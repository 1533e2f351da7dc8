-- Foundation methods with the most downstream papers
WITH final AS (
    SELECT method_name, family, descendants, downstream_papers
    FROM fct_method_lineage
    WHERE is_foundation
)
SELECT * FROM final ORDER BY downstream_papers DESC
