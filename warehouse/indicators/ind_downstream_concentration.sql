-- Concentration (HHI) of each year's downstream work across root methods; low_n below 10
-- downstream papers (the indicators' minimum count, pipeline.indicators.stats.MIN_COUNT).
WITH shares AS (
    SELECT year, root_method, downstream_papers AS x,
           downstream_papers / nullif(sum(downstream_papers) OVER (PARTITION BY year), 0) AS s
    FROM ind_downstream_by_year WHERE downstream_papers > 0
), final AS (
    SELECT year, count(*) AS n_roots, sum(x) AS total_downstream_papers,
           sum(s * s) AS hhi, 1 / sum(s * s) AS effective_roots,
           first(root_method ORDER BY s DESC, root_method) AS top_root, max(s) AS top_root_share,
           sum(x) < 10 AS low_n
    FROM shares GROUP BY year
)
SELECT * FROM final ORDER BY year
