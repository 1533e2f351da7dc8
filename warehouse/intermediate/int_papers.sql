-- The canonical paper universe: every arXiv paper, plus Papers With Code papers the arXiv lake
-- does not hold, with the ML selection rule applied.
WITH arxiv AS (
    SELECT * FROM stg_arxiv__papers
),

pwc AS (
    SELECT * FROM stg_pwc__papers
),

-- Several PwC pages can claim one arXiv id; the alphabetically first page represents it.
pwc_by_arxiv AS (
    SELECT arxiv_id, min(paper_url) AS pwc_paper_url, count(*) AS n_pwc_pages
    FROM pwc
    WHERE arxiv_id IS NOT NULL
    GROUP BY arxiv_id
),

arxiv_papers AS (
    SELECT
        a.paper_id,
        a.arxiv_id,
        p.pwc_paper_url,
        a.title,
        a.abstract,
        a.published_date,
        a.year,
        a.categories,
        a.primary_category,
        a.doi,
        TRUE AS in_arxiv,
        coalesce(p.n_pwc_pages, 0) AS n_pwc_pages
    FROM arxiv AS a
    LEFT JOIN pwc_by_arxiv AS p ON p.arxiv_id = a.arxiv_id
),

-- PwC papers outside the arXiv lake: keyed by their arXiv id when PwC gives one, else by
-- 'pwc:' + the slug of the PwC page URL.
pwc_only AS (
    SELECT
        coalesce(p.arxiv_id, 'pwc:' || coalesce(nullif(regexp_extract(p.paper_url, '/paper/([^/?#]+)', 1), ''), p.paper_url))
            AS paper_id,
        p.arxiv_id,
        p.paper_url AS pwc_paper_url,
        p.title,
        p.abstract,
        p.date AS published_date,
        p.year,
        CAST([] AS VARCHAR[]) AS categories,
        CAST(NULL AS VARCHAR) AS primary_category,
        CAST(NULL AS VARCHAR) AS doi,
        FALSE AS in_arxiv,
        1 AS n_pwc_pages
    FROM pwc AS p
    WHERE p.arxiv_id IS NULL OR p.arxiv_id NOT IN (SELECT arxiv_id FROM arxiv)
    QUALIFY row_number() OVER (PARTITION BY paper_id ORDER BY p.paper_url) = 1
),

unioned AS (
    SELECT * FROM arxiv_papers
    UNION ALL
    SELECT * FROM pwc_only
),

flagged AS (
    SELECT
        *,
        list_has_any(categories, ['cs.LG', 'stat.ML', 'cs.CL', 'cs.CV', 'cs.AI', 'cs.NE', 'cs.IR', 'cs.RO',
                                  'cs.SD', 'eess.AS', 'eess.IV', 'eess.SP'])
            OR (list_contains(categories, 'cs.SI') AND list_contains(categories, 'cs.LG'))
            OR (len(list_filter(categories, lambda c: starts_with(c, 'q-bio.'))) > 0
                AND list_has_any(categories, ['cs.LG', 'stat.ML']))
            AS ml_by_category,
        pwc_paper_url IS NOT NULL AS in_pwc
    FROM unioned
),

final AS (
    SELECT
        paper_id,
        arxiv_id,
        pwc_paper_url,
        title,
        abstract,
        published_date,
        year,
        categories,
        primary_category,
        doi,
        ml_by_category OR in_pwc AS is_ml,
        CASE
            WHEN ml_by_category AND in_pwc THEN 'category_and_pwc'
            WHEN ml_by_category THEN 'category'
            WHEN in_pwc THEN 'pwc'
            ELSE 'not_ml'
        END AS ml_reason,
        in_arxiv,
        in_pwc,
        CAST(n_pwc_pages AS INTEGER) AS n_pwc_pages
    FROM flagged
)

SELECT * FROM final
