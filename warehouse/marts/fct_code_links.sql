-- Code repositories of ML papers with a normalised framework.
WITH links AS (
    SELECT * FROM stg_pwc__code_links
),

papers AS (
    SELECT paper_id, arxiv_id, pwc_paper_url, year FROM dim_papers
),

-- Matched by PwC page first, then by arXiv id; one row per (paper, repository).
matched AS (
    SELECT p.paper_id, l.*, 1 AS match_rank
    FROM links AS l INNER JOIN papers AS p ON p.pwc_paper_url = l.paper_url
    UNION ALL
    SELECT p.paper_id, l.*, 2 AS match_rank
    FROM links AS l INNER JOIN papers AS p ON p.arxiv_id = l.arxiv_id
),

deduped AS (
    SELECT *
    FROM matched
    QUALIFY row_number() OVER (PARTITION BY paper_id, repo_url ORDER BY match_rank, is_official DESC NULLS LAST, paper_url) = 1
),

final AS (
    SELECT
        d.paper_id,
        d.repo_url,
        CASE lower(trim(coalesce(d.framework, '')))
            WHEN 'pytorch' THEN 'pytorch'
            WHEN 'tf' THEN 'tensorflow'
            WHEN 'tensorflow' THEN 'tensorflow'
            WHEN 'jax' THEN 'jax'
            ELSE 'other'
        END AS framework,
        d.framework AS framework_raw,
        d.is_official,
        d.mentioned_in_paper,
        d.mentioned_in_github,
        p.year
    FROM deduped AS d
    INNER JOIN papers AS p ON p.paper_id = d.paper_id
)

SELECT * FROM final
