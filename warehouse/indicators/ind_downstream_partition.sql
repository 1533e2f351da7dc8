-- Concentration of each year's downstream papers over the nearest-foundation partition: HHI with its
-- small-sample correction and a delta-method interval, effective number, top-1 and top-3 shares.
WITH shares AS (
    SELECT year, foundation_method, papers, tied_papers, share_of_year AS s,
           row_number() OVER (PARTITION BY year ORDER BY papers DESC, foundation_method) AS rnk
    FROM ind_downstream_partition_by_year
),

per_year AS (
    SELECT year, CAST(sum(papers) AS BIGINT) AS n_papers, count(*) AS n_foundations,
           CAST(sum(tied_papers) AS BIGINT) AS tied_papers,
           sum(s * s) AS hhi, sum(s * s * s) AS s3,
           first(foundation_method ORDER BY rnk) AS top_foundation, max(s) AS top_share,
           sum(s) FILTER (WHERE rnk <= 3) AS top3_share
    FROM shares GROUP BY year
),

final AS (
    SELECT year, n_papers, n_foundations, tied_papers, hhi,
           CASE WHEN n_papers > 1 THEN (n_papers * hhi - 1) / (n_papers - 1) END AS hhi_unbiased,
           greatest(0.0, hhi - 1.959964 * sqrt(greatest(4.0 * (s3 - hhi * hhi) / n_papers, 0.0))) AS hhi_ci_low,
           least(1.0, hhi + 1.959964 * sqrt(greatest(4.0 * (s3 - hhi * hhi) / n_papers, 0.0))) AS hhi_ci_high,
           1 / hhi AS effective_foundations,
           top_foundation, top_share, top3_share,
           n_papers < 10 AS low_n
    FROM per_year
)

SELECT * FROM final ORDER BY year
