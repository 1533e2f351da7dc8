-- Per year: author transitions, switches, switches to PyTorch, repeat authors.
SELECT year, count(*) AS n, count(*) FILTER (WHERE is_switch) AS s,
       count(*) FILTER (WHERE is_switch AND to_framework = 'pytorch') AS to_pt,
       count(DISTINCT author_id) AS authors
FROM _ind_fw_trans GROUP BY year ORDER BY year
