-- Time from a foundation model's release to its 10th and 100th derivative (any depth), counting
-- only descendants with a known created date, in creation order.
WITH dated AS (
    SELECT d.foundation_model_id, d.model_id, d.created_date,
           row_number() OVER (PARTITION BY d.foundation_model_id ORDER BY d.created_date, d.model_id) AS k
    FROM fct_model_descendants AS d
    WHERE d.created_date IS NOT NULL
),

final AS (
    SELECT
        f.foundation_model_id,
        m.created_date AS released_date,
        (SELECT count(*) FROM fct_model_descendants AS x WHERE x.foundation_model_id = f.foundation_model_id) AS n_descendants,
        count(d.model_id) AS n_dated_descendants,
        max(CASE WHEN d.k = 10 THEN d.created_date END) AS date_10th,
        max(CASE WHEN d.k = 100 THEN d.created_date END) AS date_100th,
        CAST(datediff('day', m.created_date, max(CASE WHEN d.k = 10 THEN d.created_date END)) AS INTEGER) AS days_to_10,
        CAST(datediff('day', m.created_date, max(CASE WHEN d.k = 100 THEN d.created_date END)) AS INTEGER) AS days_to_100,
        count(d.model_id) < 10 AS low_n
    FROM (SELECT DISTINCT foundation_model_id FROM fct_model_descendants) AS f
    LEFT JOIN dim_models AS m ON m.model_id = f.foundation_model_id
    LEFT JOIN dated AS d ON d.foundation_model_id = f.foundation_model_id
    GROUP BY f.foundation_model_id, m.created_date
)

SELECT * FROM final ORDER BY foundation_model_id
