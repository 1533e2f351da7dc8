-- _ind_seq: each author's classified ML papers in date order (provenance 'none' = unclassified).
SELECT author_id, paper_id, published_date, year, family, domain,
       row_number() OVER (PARTITION BY author_id ORDER BY published_date, paper_id) AS seq
FROM (
    SELECT DISTINCT a.author_id, p.paper_id, p.published_date, p.year,
           p.primary_family AS family, p.primary_domain AS domain
    FROM fct_authorships a JOIN dim_papers p USING (paper_id)
    WHERE a.author_id IS NOT NULL AND p.is_ml AND p.year IS NOT NULL
      AND p.primary_family IS NOT NULL AND coalesce(p.family_provenance, '') <> 'none'
)
