-- Leaderboard results with the family of each result's paper and its rank in the table.
WITH results AS (
    SELECT * FROM stg_pwc__eval_results
),

task_areas AS (
    SELECT
        t.task,
        CASE WHEN len(coalesce(t.categories, [])) > 0 THEN t.categories[1] ELSE parent.categories[1] END AS area
    FROM stg_pwc__eval_tasks AS t
    LEFT JOIN stg_pwc__eval_tasks AS parent ON parent.task = t.parent_task
),

area_domains AS (
    SELECT lower(key) AS area_key, domain FROM {{ seed('domains') }} WHERE source = 'pwc_area'
),

papers AS (
    SELECT paper_id, arxiv_id, pwc_paper_url, year, primary_family FROM dim_papers
),

final AS (
    SELECT
        r.task,
        ta.area,
        ad.domain AS area_domain,
        r.dataset,
        r.row_index,
        r.model_name,
        coalesce(by_arxiv.paper_id, by_url.paper_id) AS paper_id,
        coalesce(by_arxiv.year, by_url.year, CAST(year(r.paper_date) AS INTEGER)) AS year,
        coalesce(by_arxiv.primary_family, by_url.primary_family) AS family,
        r.metric_name,
        r.metric_value,
        r.metric_value_raw,
        CAST(dense_rank() OVER (PARTITION BY r.task, r.dataset, r.metric_name ORDER BY r.row_index) AS INTEGER)
            AS rank_in_table,
        r.uses_additional_data,
        r.paper_url,
        r.paper_date
    FROM results AS r
    LEFT JOIN task_areas AS ta ON ta.task = r.task
    LEFT JOIN area_domains AS ad ON ad.area_key = lower(trim(ta.area))
    LEFT JOIN papers AS by_arxiv ON by_arxiv.arxiv_id = r.arxiv_id
    LEFT JOIN papers AS by_url ON by_arxiv.paper_id IS NULL AND by_url.pwc_paper_url = r.paper_url
)

SELECT
    task, area, area_domain, dataset, row_index, model_name, paper_id, year, family, metric_name,
    metric_value, metric_value_raw, rank_in_table, rank_in_table = 1 AS is_top, uses_additional_data,
    paper_url, paper_date
FROM final
