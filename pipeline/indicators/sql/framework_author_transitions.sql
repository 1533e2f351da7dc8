-- Consecutive papers of one author, each with its framework: a paper's framework is its
-- most-linked detected framework, official links first, then by name.
WITH known AS (
    SELECT * FROM fct_code_links
    WHERE framework IS NOT NULL
      AND NOT (framework = 'other' AND lower(coalesce(framework_raw, 'none')) IN ('none', ''))
), ranked AS (
    SELECT paper_id, framework,
           row_number() OVER (PARTITION BY paper_id
                              ORDER BY count(*) DESC, bool_or(coalesce(is_official, false)) DESC, framework) AS rn
    FROM known GROUP BY paper_id, framework
), paper_framework AS (
    SELECT paper_id, framework FROM ranked WHERE rn = 1
), seq AS (
    SELECT a.author_id, a.paper_id, p.year, pf.framework,
           row_number() OVER (PARTITION BY a.author_id ORDER BY p.published_date, a.paper_id) AS seq
    FROM (SELECT DISTINCT author_id, paper_id FROM fct_authorships WHERE author_id IS NOT NULL) AS a
    JOIN paper_framework AS pf USING (paper_id) JOIN dim_papers AS p USING (paper_id)
    -- an undated paper has no place in the order (sorted last, it made a spurious final transition)
    WHERE p.published_date IS NOT NULL
), final AS (
    SELECT a.author_id, a.framework AS from_framework, b.framework AS to_framework, b.year,
           a.framework <> b.framework AS is_switch
    FROM seq AS a JOIN seq AS b ON a.author_id = b.author_id AND b.seq = a.seq + 1
)
SELECT * FROM final
