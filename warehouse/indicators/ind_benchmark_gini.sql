-- Benchmark concentration (Koch et al. 2021): how unequally a task's results spread over its
-- datasets in a year. The pool of a task-year is every dataset the task had used up to that year,
-- so a dataset that falls out of use counts as a zero rather than disappearing.
WITH usages AS (
    -- one usage = one result entry (a paper's row in a leaderboard), whatever its number of metrics
    SELECT DISTINCT task, dataset, year, coalesce(paper_id, paper_url, model_name || '#' || row_index) AS entry
    FROM fct_leaderboard_results
    WHERE year IS NOT NULL AND task IS NOT NULL AND dataset IS NOT NULL
),

dataset_first_year AS (
    SELECT task, dataset, min(year) AS first_year
    FROM usages
    GROUP BY task, dataset
),

task_years AS (
    SELECT DISTINCT task, year FROM usages
),

pool AS (
    SELECT ty.task, ty.year, d.dataset
    FROM task_years AS ty
    JOIN dataset_first_year AS d ON d.task = ty.task AND d.first_year <= ty.year
),

counts AS (
    SELECT p.task, p.year, p.dataset, count(u.entry) AS n_usages
    FROM pool AS p
    LEFT JOIN usages AS u ON u.task = p.task AND u.year = p.year AND u.dataset = p.dataset
    GROUP BY p.task, p.year, p.dataset
),

ranked AS (
    SELECT *, row_number() OVER (PARTITION BY task, year ORDER BY n_usages, dataset) AS rank_asc
    FROM counts
),

final AS (
    SELECT task, year,
           count(*) AS n_datasets,
           count(*) FILTER (WHERE n_usages > 0) AS n_datasets_used,
           CAST(sum(n_usages) AS BIGINT) AS n_usages,
           -- Gini over the sorted pool: 2 Σ i x_(i) / (n Σ x) − (n + 1) / n
           CASE WHEN count(*) >= 2 AND sum(n_usages) > 0
                THEN 2.0 * sum(rank_asc * n_usages) / (count(*) * sum(n_usages)) - (count(*) + 1.0) / count(*)
           END AS gini,
           max(n_usages) / sum(n_usages) AS top_dataset_share,
           sum(n_usages) < 10 OR count(*) < 3 AS low_n
    FROM ranked
    GROUP BY task, year
)

SELECT * FROM final ORDER BY task, year
