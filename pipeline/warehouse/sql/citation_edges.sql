-- Citation edges between ML papers as (src, dst) node indices.
SELECT s.idx AS src, d.idx AS dst
FROM fct_citations AS c
INNER JOIN _citation_nodes AS s ON s.paper_id = c.citing_paper_id
INNER JOIN _citation_nodes AS d ON d.paper_id = c.cited_paper_id
