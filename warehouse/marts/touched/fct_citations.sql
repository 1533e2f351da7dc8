-- Citing papers whose edges can change when papers' dates change (changed_dim_papers holds
-- the published and new versions of each changed row): the paper itself, and every paper
-- whose references resolve to it.
WITH changed AS (
    SELECT paper_id FROM changed_dim_papers
),

final AS (
    SELECT paper_id AS k FROM changed
    UNION
    SELECT r.citing_paper_id AS k
    FROM fct_references AS r
    WHERE r.cited_paper_id IN (SELECT paper_id FROM changed)
)

SELECT k FROM final
