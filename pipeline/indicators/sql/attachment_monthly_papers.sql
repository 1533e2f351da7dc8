-- The cited papers of the monthly attachment fit: ML papers with a publication date, with their
-- month index (year·12 + month − 1) and a family code (dense rank of the primary family; NULL its own
-- level). At most {{ cap }} papers, the lowest md5(paper_id) first: a draw that depends on the id
-- alone (md5 is a fixed function; DuckDB does not promise the same of hash()), never on citations, so a fit
-- that conditions on each cited paper stays unbiased.
SELECT row_number() OVER (ORDER BY paper_id) - 1 AS ix, paper_id, m, family
FROM (
    SELECT paper_id, year(published_date) * 12 + month(published_date) - 1 AS m,
           dense_rank() OVER (ORDER BY primary_family NULLS LAST) - 1 AS family
    FROM dim_papers
    WHERE is_ml AND published_date IS NOT NULL
    ORDER BY md5(paper_id), paper_id
    LIMIT {{ cap }}
)
