-- A model's arXiv ids (Hub arxiv:<id> tags, Epoch's arXiv link) linked to the lake's papers.
WITH ids AS (
    SELECT model_id, unnest(arxiv_ids) AS arxiv_id FROM dim_models
),

final AS (
    SELECT DISTINCT
        ids.model_id,
        ids.arxiv_id,
        p.paper_id,
        p.paper_id IS NOT NULL AS in_lake
    FROM ids
    LEFT JOIN dim_papers AS p ON p.arxiv_id = ids.arxiv_id
)

SELECT * FROM final ORDER BY model_id, arxiv_id
