-- One row per ML paper with its primary domain and family.
WITH papers AS (
    SELECT * FROM int_papers WHERE is_ml
),

primary_family AS (
    SELECT paper_id, family, confidence, provenance
    FROM fct_paper_families
    WHERE is_primary
),

family_counts AS (
    SELECT paper_id, count(*) AS n_families FROM fct_paper_families GROUP BY paper_id
),

primary_domain AS (
    SELECT paper_id, domain, domain_source FROM int_paper_domains WHERE is_primary
),

s2 AS (
    SELECT arxiv_id, s2_paper_id, citation_count FROM stg_s2__papers
),

final AS (
    SELECT
        p.paper_id,
        p.arxiv_id,
        p.pwc_paper_url,
        p.title,
        p.published_date,
        p.year,
        p.primary_category,
        d.domain AS primary_domain,
        d.domain_source,
        coalesce(f.family, 'other') AS primary_family,
        coalesce(f.confidence, 0.1) AS family_confidence,
        coalesce(f.provenance, 'none') AS family_provenance,
        CAST(coalesce(fc.n_families, 1) AS INTEGER) AS n_families,
        p.is_ml,
        p.ml_reason,
        p.in_arxiv,
        p.in_pwc,
        s2.s2_paper_id,
        s2.citation_count AS s2_citation_count
    FROM papers AS p
    LEFT JOIN primary_family AS f ON f.paper_id = p.paper_id
    LEFT JOIN family_counts AS fc ON fc.paper_id = p.paper_id
    LEFT JOIN primary_domain AS d ON d.paper_id = p.paper_id
    LEFT JOIN s2 ON s2.arxiv_id = p.arxiv_id
)

SELECT * FROM final
