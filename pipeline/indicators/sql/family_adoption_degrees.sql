-- Family adoption as growth: a (family, domain) cell's degree k is its fractional papers before
-- a year, dk those in it (the 'all' domain row excluded).
WITH c AS (
    SELECT family, domain, year, papers_fractional AS x FROM ind_family_share WHERE domain <> 'all'
)
SELECT period, k, dk FROM (
    SELECT year AS period, x AS dk,
           coalesce(sum(x) OVER (PARTITION BY family, domain ORDER BY year
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS k
    FROM c
) WHERE period > (SELECT min(year) FROM c)
ORDER BY period, k, dk
