-- Tasks of the Papers With Code evaluation tables (subtasks flattened with their parent); categories are the task areas.
WITH source AS (
    SELECT * FROM {{ lake('pwc/eval_tasks') }}
),

final AS (
    SELECT
        task,
        parent_task,
        description,
        categories,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY task ORDER BY "version" DESC) = 1
)

SELECT * FROM final
