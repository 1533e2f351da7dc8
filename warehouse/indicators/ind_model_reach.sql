-- How many domains one foundation model reaches: the domains of its descendants' pipeline tags
-- (warehouse/seeds/pipeline_tag_domains.csv) and of the lake papers that build on it (papers a
-- descendant or the model itself names through arXiv tags, and papers citing those).
WITH tag_domains AS (
    SELECT pipeline_tag, domain FROM {{ seed('pipeline_tag_domains') }}
),

members AS (
    SELECT foundation_model_id, model_id FROM fct_model_descendants
    UNION
    SELECT DISTINCT foundation_model_id, foundation_model_id FROM fct_model_descendants
),

hub_domains AS (
    SELECT DISTINCT m.foundation_model_id, t.domain
    FROM members AS m
    JOIN dim_models AS d ON d.model_id = m.model_id
    JOIN tag_domains AS t ON t.pipeline_tag = d.pipeline_tag
),

named_papers AS (
    SELECT DISTINCT m.foundation_model_id, p.paper_id
    FROM members AS m
    JOIN fct_model_papers AS p ON p.model_id = m.model_id
    WHERE p.in_lake
),

building_papers AS (
    SELECT foundation_model_id, paper_id FROM named_papers
    UNION
    SELECT n.foundation_model_id, c.citing_paper_id AS paper_id
    FROM named_papers AS n
    JOIN fct_citations AS c ON c.cited_paper_id = n.paper_id
),

paper_domains AS (
    SELECT DISTINCT b.foundation_model_id, d.domain
    FROM building_papers AS b
    JOIN fct_paper_domains AS d ON d.paper_id = b.paper_id
),

all_domains AS (
    SELECT foundation_model_id, domain FROM hub_domains
    UNION
    SELECT foundation_model_id, domain FROM paper_domains
),

counts AS (
    SELECT foundation_model_id, count(*) - 1 AS n_descendants FROM members GROUP BY 1
),

final AS (
    SELECT
        c.foundation_model_id,
        c.n_descendants,
        (SELECT count(*) FROM hub_domains AS h WHERE h.foundation_model_id = c.foundation_model_id) AS n_hub_domains,
        (SELECT count(DISTINCT paper_id) FROM building_papers AS b WHERE b.foundation_model_id = c.foundation_model_id) AS n_papers,
        (SELECT count(*) FROM paper_domains AS p WHERE p.foundation_model_id = c.foundation_model_id) AS n_paper_domains,
        (SELECT count(*) FROM all_domains AS a WHERE a.foundation_model_id = c.foundation_model_id) AS n_domains,
        coalesce((SELECT list_sort(list(domain)) FROM all_domains AS a
                  WHERE a.foundation_model_id = c.foundation_model_id), []) AS domains,
        c.n_descendants < 10 AS low_n
    FROM counts AS c
)

SELECT * FROM final ORDER BY foundation_model_id
