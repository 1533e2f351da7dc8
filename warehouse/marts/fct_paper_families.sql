-- Architecture families of each ML paper: PwC methods first, then the text classifier, else other.
WITH papers AS (
    SELECT paper_id, arxiv_id, pwc_paper_url FROM int_papers WHERE is_ml
),

paper_methods AS (
    SELECT p.paper_id, m.method_name
    FROM stg_pwc__paper_methods AS m
    INNER JOIN papers AS p ON p.pwc_paper_url = m.paper_url
    UNION
    SELECT p.paper_id, m.method_name
    FROM stg_pwc__paper_methods AS m
    INNER JOIN papers AS p ON p.arxiv_id = m.arxiv_id
),

method_family_counts AS (
    SELECT pm.paper_id, mf.family, count(DISTINCT pm.method_name) AS n_methods
    FROM paper_methods AS pm
    INNER JOIN int_method_families AS mf ON mf.method_name = pm.method_name
    WHERE mf.family <> 'other'
    GROUP BY ALL
),

-- PwC says which families a paper uses, but its methods list mixes the proposed architecture
-- with components and baselines, so it cannot say which one the paper is about. The abstract
-- can: when the text classifier's primary family is among the PwC families it is the primary.
-- Otherwise generic building blocks (mlp, linear) come last, then the family most of the
-- paper's methods belong to; ties alphabetical.
pwc_families AS (
    SELECT
        c.paper_id,
        c.family,
        row_number() OVER (
            PARTITION BY c.paper_id
            ORDER BY c.family IS NOT DISTINCT FROM t.primary_family DESC,
                     c.family IN ('mlp', 'linear'), c.n_methods DESC, c.family
        ) = 1 AS is_primary,
        'pwc' AS provenance,
        0.95 AS confidence,
        c.n_methods
    FROM method_family_counts AS c
    LEFT JOIN int_paper_text_families AS t ON t.paper_id = c.paper_id
),

text_rows AS (
    SELECT
        t.paper_id,
        t.primary_family,
        list_distinct(list_filter(list_prepend(t.primary_family, coalesce(t.families, [])), lambda f: f <> 'other')) AS families,
        t.confidence
    FROM int_paper_text_families AS t
    INNER JOIN papers AS p ON p.paper_id = t.paper_id
    WHERE t.paper_id NOT IN (SELECT paper_id FROM pwc_families)
      AND t.primary_family IS NOT NULL AND t.primary_family <> 'other'
),

text_families AS (
    SELECT
        paper_id,
        unnest(families) AS family,
        primary_family,
        'text' AS provenance,
        CAST(confidence AS DOUBLE) AS confidence
    FROM text_rows
),

unclassified AS (
    SELECT
        paper_id,
        'other' AS family,
        TRUE AS is_primary,
        'none' AS provenance,
        0.1 AS confidence,
        NULL::BIGINT AS n_methods
    FROM papers
    WHERE paper_id NOT IN (SELECT paper_id FROM pwc_families)
      AND paper_id NOT IN (SELECT paper_id FROM text_rows)
),

unioned AS (
    SELECT paper_id, family, is_primary, provenance, confidence, n_methods FROM pwc_families
    UNION ALL
    SELECT paper_id, family, family = primary_family AS is_primary, provenance, confidence, NULL::BIGINT
    FROM text_families
    UNION ALL
    SELECT paper_id, family, is_primary, provenance, confidence, n_methods FROM unclassified
),

final AS (
    SELECT
        paper_id,
        family,
        1.0 / count(*) OVER (PARTITION BY paper_id) AS weight,
        is_primary,
        provenance,
        CAST(confidence AS DOUBLE) AS confidence,
        n_methods
    FROM unioned
)

SELECT * FROM final
