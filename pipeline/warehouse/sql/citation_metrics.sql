-- fct_paper_citation_metrics: graph metrics (from the Arrow table _citation_metrics_arrow, by
-- node index) joined to the reference counts of fct_references; external = unresolved or non-ML.
WITH refs AS (
    SELECT
        citing_paper_id AS paper_id,
        count(*) AS references_total,
        count(*) FILTER (WHERE cited_paper_id IS NULL OR NOT cited_is_ml) AS external_references
    FROM fct_references
    GROUP BY citing_paper_id
), final AS (
    SELECT
        nodes.paper_id,
        m.in_degree,
        m.out_degree,
        coalesce(refs.references_total, 0) AS references_total,
        coalesce(refs.external_references, 0) AS external_references,
        m.pagerank
    FROM _citation_nodes AS nodes
    INNER JOIN _citation_metrics_arrow AS m ON m.idx = nodes.idx
    LEFT JOIN refs ON refs.paper_id = nodes.paper_id
)
SELECT * FROM final ORDER BY paper_id
