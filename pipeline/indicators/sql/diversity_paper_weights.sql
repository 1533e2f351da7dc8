-- One row per (domain-year, paper, family) with the paper's fractional weight, classified families only:
-- 'other' names no architecture, so it has no place in a distance between architectures.
SELECT p.primary_domain AS domain, p.year, p.paper_id, f.family, f.weight
FROM dim_papers AS p
JOIN fct_paper_families AS f USING (paper_id)
WHERE p.is_ml AND p.year IS NOT NULL AND p.primary_domain IS NOT NULL
  AND f.family IS NOT NULL AND f.family <> 'other' AND f.weight > 0
  AND coalesce(f.provenance, '') <> 'none'
ORDER BY domain, p.year, p.paper_id, f.family
