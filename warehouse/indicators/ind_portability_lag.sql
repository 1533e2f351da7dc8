-- The portability trap: per family and domain, the year the family took over the domain's papers
-- (share > 50%) against the year it took over the domain's leaderboard top results.
WITH top_results AS (
    SELECT area_domain AS domain, year, family
    FROM fct_leaderboard_results
    WHERE is_top AND area_domain IS NOT NULL AND year IS NOT NULL
      AND family IS NOT NULL AND family NOT IN ('other', 'unknown')
),

top_shares AS (
    SELECT domain, year, family,
           count(*) AS n_top,
           sum(count(*)) OVER (PARTITION BY domain, year) AS n_top_total
    FROM top_results
    GROUP BY domain, year, family
),

leaderboard_takeover AS (
    SELECT domain, family,
           min(year) AS leaderboard_takeover_year,
           arg_min(n_top_total < 10, year) AS low_n_at_leaderboard_takeover
    FROM top_shares
    WHERE n_top / n_top_total > 0.5
    GROUP BY domain, family
),

paper_takeover AS (
    SELECT domain, family, year_passed_50pct AS paper_takeover_year, low_n_at_50pct AS low_n_at_paper_takeover
    FROM ind_adoption
    WHERE year_passed_50pct IS NOT NULL AND domain <> 'all'
),

final AS (
    SELECT coalesce(p.family, l.family) AS family,
           coalesce(p.domain, l.domain) AS domain,
           CAST(p.paper_takeover_year AS INTEGER) AS paper_takeover_year,
           CAST(l.leaderboard_takeover_year AS INTEGER) AS leaderboard_takeover_year,
           CAST(l.leaderboard_takeover_year - p.paper_takeover_year AS INTEGER) AS lag_years,
           coalesce(p.low_n_at_paper_takeover, false) AS low_n_at_paper_takeover,
           coalesce(l.low_n_at_leaderboard_takeover, false) AS low_n_at_leaderboard_takeover
    FROM paper_takeover AS p
    FULL JOIN leaderboard_takeover AS l ON l.family = p.family AND l.domain = p.domain
)

SELECT * FROM final ORDER BY domain, family
