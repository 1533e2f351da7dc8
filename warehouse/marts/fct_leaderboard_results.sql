-- Leaderboard results with the family of each result and its rank in the table. The family comes
-- from the row's model_name (alias seed, then the text classifier), else from the row's paper when
-- the corpus holds it, else from the row's paper_title; family_source says which decided.
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

name_families AS (
    SELECT * FROM int_leaderboard_model_families
),

matched AS (

    SELECT
        r.*,
        ta.area,
        ad.domain AS area_domain,
        coalesce(by_arxiv.paper_id, by_url.paper_id) AS paper_id,
        coalesce(by_arxiv.year, by_url.year, CAST(year(r.paper_date) AS INTEGER)) AS paper_year,
        coalesce(by_arxiv.primary_family, by_url.primary_family) AS paper_family,
        nf.model_key,
        nf.model_name_family,
        nf.paper_title_family
    FROM results AS r
    LEFT JOIN task_areas AS ta ON ta.task = r.task
    LEFT JOIN area_domains AS ad ON ad.area_key = lower(trim(ta.area))
    LEFT JOIN papers AS by_arxiv ON by_arxiv.arxiv_id = r.arxiv_id
    LEFT JOIN papers AS by_url ON by_arxiv.paper_id IS NULL AND by_url.pwc_paper_url = r.paper_url
    LEFT JOIN name_families AS nf
        ON nf.model_name = coalesce(r.model_name, '') AND nf.paper_title = coalesce(r.paper_title, '')
),

-- A paper's 'other' is an abstention: the row's title may still name a family.
final AS (
    SELECT
        task,
        area,
        area_domain,
        dataset,
        row_index,
        model_name,
        model_key,
        paper_id,
        paper_year AS year,
        coalesce(
            model_name_family,
            nullif(paper_family, 'other'),
            paper_title_family,
            paper_family
        ) AS family,
        CASE
            WHEN model_name_family IS NOT NULL THEN 'model_name'
            WHEN paper_family IS NOT NULL AND paper_family <> 'other' THEN 'paper'
            WHEN paper_title_family IS NOT NULL THEN 'paper_title'
            WHEN paper_family IS NOT NULL THEN 'paper'
            ELSE 'none'
        END AS family_source,
        metric_name,
        metric_value,
        metric_value_raw,
        CAST(dense_rank() OVER (PARTITION BY task, dataset, metric_name ORDER BY row_index) AS INTEGER)
            AS rank_in_table,
        uses_additional_data,
        paper_url,
        paper_date
    FROM matched
)

SELECT
    task, area, area_domain, dataset, row_index, model_name, model_key, paper_id, year, family, family_source,
    metric_name, metric_value, metric_value_raw, rank_in_table, rank_in_table = 1 AS is_top, uses_additional_data,
    paper_url, paper_date
FROM final
