-- Internal citations received by each sampled paper (_ind_pa_sample) per calendar month of the
-- citing paper's publication date.
SELECT s.ix, year(d.published_date) * 12 + month(d.published_date) - 1 AS m, count(*) AS n
FROM fct_citations c
JOIN _ind_pa_sample s ON s.paper_id = c.cited_paper_id
JOIN dim_papers d ON d.paper_id = c.citing_paper_id
WHERE d.published_date IS NOT NULL
GROUP BY ALL
