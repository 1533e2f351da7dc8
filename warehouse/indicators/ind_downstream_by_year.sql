-- Downstream work of each root method per year, with its running total and its share of the year.
WITH foundations AS (
    SELECT method_name AS root_method, is_foundation FROM fct_method_lineage
), final AS (
    SELECT d.root_method, d.year, d.downstream_methods, d.downstream_papers,
           sum(d.downstream_papers) OVER (PARTITION BY d.root_method ORDER BY d.year) AS cumulative_downstream_papers,
           d.downstream_papers / nullif(sum(d.downstream_papers) OVER (PARTITION BY d.year), 0) AS share_of_year,
           coalesce(f.is_foundation, false) AS is_foundation
    FROM fct_method_downstream_by_year AS d LEFT JOIN foundations AS f USING (root_method)
    WHERE d.year IS NOT NULL
)
SELECT * FROM final ORDER BY root_method, year
