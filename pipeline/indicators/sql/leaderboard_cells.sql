-- Leaderboard results and top-ranked results per (area, year, family).
SELECT coalesce(area, 'unknown') AS area, year, coalesce(family, 'unknown') AS family,
       count(*) AS results, count(*) FILTER (WHERE is_top) AS top_results
FROM fct_leaderboard_results WHERE year IS NOT NULL
GROUP BY ALL ORDER BY area, year, family
