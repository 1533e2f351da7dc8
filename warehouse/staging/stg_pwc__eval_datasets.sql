-- Benchmark datasets per task of the Papers With Code evaluation tables (subdatasets flattened).
WITH source AS (
    SELECT * FROM {{ lake('pwc/eval_datasets') }}
),

final AS (
    SELECT
        task,
        dataset,
        parent_dataset,
        description,
        metrics,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY task, dataset ORDER BY "version" DESC) = 1
)

SELECT * FROM final
