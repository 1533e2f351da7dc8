-- One row per (ML paper, family) with its fractional weight; a paper without a family row still
-- counts in the denominator (family NULL, weight 0).
SELECT p.primary_domain AS domain, p.year, p.paper_id, f.family, coalesce(f.weight, 0.0) AS weight
FROM dim_papers p LEFT JOIN fct_paper_families f USING (paper_id)
WHERE p.is_ml AND p.year IS NOT NULL AND p.primary_domain IS NOT NULL
ORDER BY p.primary_domain, p.year, p.paper_id
