-- One row per (year, domain, paper, family) with the paper's fractional weight: the classified mass
-- behind each domain's family mix (the same population as ind_unification).
SELECT p.year, p.primary_domain AS domain, p.paper_id, f.family, f.weight
FROM dim_papers AS p
JOIN fct_paper_families AS f USING (paper_id)
WHERE p.is_ml AND p.year IS NOT NULL AND p.primary_domain IS NOT NULL AND f.weight > 0
-- by paper within a year: the Python side ranks papers by counting id changes
ORDER BY p.year, p.paper_id, f.family
