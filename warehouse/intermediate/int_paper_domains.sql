-- Research domains of each ML paper from its arXiv categories and, for generic-ML papers, from
-- the areas of its Papers With Code tasks, then from the domain its text names
-- (int_paper_text_domains, the classify step's cue rules). A cross-listed category of a
-- cross-list domain (speech: mostly filed under cs.CL) that the text also names comes first.
WITH papers AS (
    SELECT paper_id, arxiv_id, pwc_paper_url, categories, primary_category
    FROM int_papers
    WHERE is_ml
),

seed AS (
    SELECT * FROM {{ seed('domains') }}
),

category_domains AS (
    SELECT
        c.paper_id,
        c.category,
        c.category_position,
        coalesce(exact.domain, prefix.domain, 'general_ml') AS domain
    FROM (
        SELECT paper_id, unnest(categories) AS category, generate_subscripts(categories, 1) AS category_position
        FROM papers
    ) AS c
    LEFT JOIN seed AS exact ON exact.source = 'arxiv_category' AND exact.key = c.category
    LEFT JOIN seed AS prefix ON prefix.source = 'arxiv_category_prefix' AND starts_with(c.category, prefix.key)
),

paper_tasks AS (
    SELECT DISTINCT p.paper_id, t.task
    FROM stg_pwc__paper_tasks AS t
    INNER JOIN papers AS p ON p.pwc_paper_url = t.paper_url
    UNION
    SELECT DISTINCT p.paper_id, t.task
    FROM stg_pwc__paper_tasks AS t
    INNER JOIN papers AS p ON p.arxiv_id = t.arxiv_id
),

-- A subtask without categories inherits its parent task's.
task_areas AS (
    SELECT t.task, unnest(CASE WHEN len(coalesce(t.categories, [])) > 0 THEN t.categories ELSE coalesce(parent.categories, []) END) AS area
    FROM stg_pwc__eval_tasks AS t
    LEFT JOIN stg_pwc__eval_tasks AS parent ON parent.task = t.parent_task
),

area_domain_votes AS (
    SELECT pt.paper_id, s.domain, count(*) AS votes
    FROM paper_tasks AS pt
    INNER JOIN task_areas AS ta ON ta.task = pt.task
    INNER JOIN seed AS s ON s.source = 'pwc_area' AND lower(s.key) = lower(trim(ta.area))
    GROUP BY ALL
),

area_domain AS (
    SELECT paper_id, domain
    FROM area_domain_votes
    QUALIFY row_number() OVER (PARTITION BY paper_id ORDER BY votes DESC, domain) = 1
),

text_domain AS (
    SELECT paper_id, text_domain AS domain, overrides_category
    FROM int_paper_text_domains
    WHERE text_domain IS NOT NULL
),

primary_domain AS (
    SELECT
        p.paper_id,
        CASE
            WHEN td.overrides_category THEN td.domain
            WHEN cd.domain IS NOT NULL AND cd.domain <> 'general_ml' THEN cd.domain
            ELSE coalesce(ad.domain, td.domain, 'general_ml')
        END AS domain,
        CASE
            WHEN td.overrides_category THEN 'arxiv_cross_list_text'
            WHEN cd.domain IS NOT NULL AND cd.domain <> 'general_ml' THEN 'arxiv_primary_category'
            WHEN ad.domain IS NOT NULL THEN 'pwc_task_area'
            WHEN td.domain IS NOT NULL THEN 'text'
            ELSE 'default_general_ml'
        END AS domain_source
    FROM papers AS p
    LEFT JOIN category_domains AS cd ON cd.paper_id = p.paper_id AND cd.category_position = 1
    LEFT JOIN area_domain AS ad ON ad.paper_id = p.paper_id
    LEFT JOIN text_domain AS td ON td.paper_id = p.paper_id
),

secondary_domains AS (
    SELECT DISTINCT cd.paper_id, cd.domain, 'arxiv_secondary_category' AS domain_source
    FROM category_domains AS cd
    INNER JOIN primary_domain AS pd ON pd.paper_id = cd.paper_id
    WHERE cd.category_position > 1 AND cd.domain <> 'general_ml' AND cd.domain <> pd.domain
),

all_domains AS (
    SELECT paper_id, domain, domain_source, TRUE AS is_primary FROM primary_domain
    UNION ALL
    SELECT paper_id, domain, domain_source, FALSE AS is_primary FROM secondary_domains
),

final AS (
    SELECT
        paper_id,
        domain,
        1.0 / count(*) OVER (PARTITION BY paper_id) AS weight,
        is_primary,
        domain_source
    FROM all_domains
)

SELECT * FROM final
