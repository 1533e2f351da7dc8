-- ML papers to classify: those the classification cache has no verdict for (_text_families_cached).
WITH final AS (
    SELECT p.paper_id, p.title, p.abstract, {{ text_hash }} AS text_hash
    FROM int_papers AS p
    WHERE p.is_ml AND p.paper_id NOT IN (SELECT paper_id FROM _text_families_cached)
)

SELECT * FROM final
