-- How well identities across sources were resolved: every link counted, none silently dropped.
WITH reference_outcomes AS (
    SELECT 'references' AS subject, resolution AS outcome, count(*) AS n
    FROM fct_references
    GROUP BY ALL
),

pwc_outcomes AS (
    SELECT
        'pwc_papers' AS subject,
        CASE
            WHEN arxiv_id IS NULL THEN 'no_arxiv_id'
            WHEN arxiv_id IN (SELECT arxiv_id FROM stg_arxiv__papers) THEN 'matched_arxiv_lake'
            ELSE 'arxiv_id_not_in_lake'
        END AS outcome,
        count(*) AS n
    FROM stg_pwc__papers
    GROUP BY ALL
),

code_link_outcomes AS (
    SELECT
        'pwc_code_links' AS subject,
        CASE WHEN l.paper_url IN (SELECT pwc_paper_url FROM dim_papers WHERE pwc_paper_url IS NOT NULL)
               OR l.arxiv_id IN (SELECT arxiv_id FROM dim_papers WHERE arxiv_id IS NOT NULL)
             THEN 'matched' ELSE 'unmatched' END AS outcome,
        count(*) AS n
    FROM stg_pwc__code_links AS l
    GROUP BY ALL
),

leaderboard_outcomes AS (
    SELECT
        'pwc_leaderboard_rows' AS subject,
        CASE WHEN bool_or(paper_id IS NOT NULL) THEN 'with_paper' ELSE 'without_paper' END AS outcome,
        1 AS n
    FROM fct_leaderboard_results
    GROUP BY task, dataset, row_index
),

s2_outcomes AS (
    SELECT 's2_lookups' AS subject, status AS outcome, count(*) AS n
    FROM (
        SELECT arxiv_id, arg_max(status, fetched_at) AS status
        FROM stg_s2__fetch_log
        GROUP BY arxiv_id
    )
    GROUP BY ALL
),

arxiv_outcomes AS (
    SELECT 'arxiv_papers' AS subject,
        CASE WHEN n_windows > 1 THEN 'merged_from_several_windows' ELSE 'single_window' END AS outcome,
        count(*) AS n
    FROM stg_arxiv__papers
    GROUP BY ALL
),

unioned AS (
    SELECT * FROM reference_outcomes
    UNION ALL SELECT * FROM pwc_outcomes
    UNION ALL SELECT * FROM code_link_outcomes
    UNION ALL SELECT subject, outcome, sum(n) FROM leaderboard_outcomes GROUP BY ALL
    UNION ALL SELECT * FROM s2_outcomes
    UNION ALL SELECT * FROM arxiv_outcomes
),

final AS (
    SELECT
        subject,
        outcome,
        CAST(n AS BIGINT) AS n,
        n / sum(n) OVER (PARTITION BY subject) AS share
    FROM unioned
)

SELECT * FROM final
