-- Leaderboard (SOTA) rows of the Papers With Code evaluation tables, one row per metric value, in the dump's row order.
WITH source AS (
    SELECT * FROM {{ lake('pwc/eval_results') }}
),

final AS (
    SELECT
        task,
        dataset,
        row_index,
        model_name,
        paper_title,
        paper_url,
        arxiv_id,
        paper_date,
        uses_additional_data,
        metric_name,
        metric_value_raw,
        metric_value,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY task, dataset, row_index, metric_name ORDER BY "version" DESC) = 1
)

SELECT * FROM final
