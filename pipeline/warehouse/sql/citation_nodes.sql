-- One int32 node index per ML paper, in paper_id order: the citation graph's node numbering.
SELECT paper_id, CAST(row_number() OVER (ORDER BY paper_id) - 1 AS INTEGER) AS idx
FROM dim_papers
