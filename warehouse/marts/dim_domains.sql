-- The research domains with their labels and mapping rules.
WITH labels AS (
    SELECT * FROM {{ seed('domain_labels') }}
),

mapping AS (
    SELECT
        domain,
        list(key ORDER BY key) FILTER (WHERE source IN ('arxiv_category', 'arxiv_category_prefix')) AS arxiv_categories,
        list(key ORDER BY key) FILTER (WHERE source = 'pwc_area') AS pwc_areas
    FROM {{ seed('domains') }}
    GROUP BY domain
),

final AS (
    SELECT
        l.domain,
        l.label,
        l.description,
        coalesce(m.arxiv_categories, []) AS arxiv_categories,
        coalesce(m.pwc_areas, []) AS pwc_areas
    FROM labels AS l
    LEFT JOIN mapping AS m ON m.domain = l.domain
)

SELECT * FROM final
