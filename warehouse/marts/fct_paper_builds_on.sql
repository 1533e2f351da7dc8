-- Paper → model → foundation method links from both sources: PwC paper_methods (until July 2025)
-- and the named-model mentions read from the text (every paper, including those PwC never saw).
WITH papers AS (
    SELECT paper_id, arxiv_id, pwc_paper_url, year FROM dim_papers
),

pwc_methods AS (
    SELECT p.paper_id, m.method_name
    FROM stg_pwc__paper_methods AS m
    INNER JOIN papers AS p ON p.pwc_paper_url = m.paper_url
    UNION
    SELECT p.paper_id, m.method_name
    FROM stg_pwc__paper_methods AS m
    INNER JOIN papers AS p ON p.arxiv_id = m.arxiv_id
),

pwc AS (
    SELECT
        paper_id,
        CAST(NULL AS VARCHAR) AS model_key,
        method_name,
        'pwc' AS source,
        'uses' AS relation,
        CAST(NULL AS DOUBLE) AS confidence
    FROM pwc_methods
),

text_links AS (
    SELECT
        paper_id,
        model_key,
        foundation_method AS method_name,
        'text' AS source,
        relation,
        confidence
    FROM fct_paper_model_mentions
),

unioned AS (
    SELECT * FROM pwc
    UNION ALL
    SELECT * FROM text_links
),

final AS (
    SELECT
        u.paper_id,
        u.source,
        CASE WHEN u.source = 'text' THEN u.model_key ELSE u.method_name END AS target,
        u.model_key,
        u.method_name,
        u.relation,
        u.confidence,
        p.year
    FROM unioned AS u
    INNER JOIN papers AS p ON p.paper_id = u.paper_id
)

SELECT * FROM final
ORDER BY paper_id, source, target
