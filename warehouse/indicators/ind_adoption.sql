-- Adoption of each family in each domain, from the family shares. The thresholds are the
-- indicator's definition (docs/indicators): "adopted" at a 10% share, "taken over" above 50%.
WITH shares AS (
    SELECT * FROM ind_family_share WHERE domain <> 'all'
), per AS (
    SELECT family, domain,
           min(year) FILTER (WHERE papers_any > 0) AS first_year,
           min(year) FILTER (WHERE share >= 0.1) AS year_reached_10pct,
           min(year) FILTER (WHERE share > 0.5) AS year_passed_50pct,
           max(share) AS peak_share,
           arg_max(share, year) AS latest_share,
           max(year) AS latest_year
    FROM shares GROUP BY family, domain
), flags AS (
    SELECT p.family, p.domain,
           bool_or(s.low_n) FILTER (WHERE s.year = p.year_reached_10pct) AS low_n_at_10pct,
           bool_or(s.low_n) FILTER (WHERE s.year = p.year_passed_50pct) AS low_n_at_50pct,
           max(s.share) FILTER (WHERE s.year = p.year_reached_10pct) AS share_at_10pct
    FROM per AS p JOIN shares AS s USING (family, domain) GROUP BY p.family, p.domain
), ranked AS (
    -- the origin domain: the first to reach 10%, ties to the higher share, then by name
    SELECT p.family, p.domain, p.year_reached_10pct,
           row_number() OVER (PARTITION BY p.family
                              ORDER BY p.year_reached_10pct, f.share_at_10pct DESC, p.domain) AS rn
    FROM per AS p JOIN flags AS f USING (family, domain)
    WHERE p.year_reached_10pct IS NOT NULL
), origin AS (
    SELECT family, domain AS origin_domain, year_reached_10pct AS origin_year FROM ranked WHERE rn = 1
), final AS (
    SELECT p.family, p.domain, p.first_year,
           p.year_reached_10pct, p.year_reached_10pct - p.first_year AS years_to_10pct,
           p.year_passed_50pct, p.year_passed_50pct - p.first_year AS years_to_50pct,
           o.origin_domain, o.origin_year,
           p.year_reached_10pct - o.origin_year AS lag_behind_origin_years,
           p.domain = o.origin_domain AS is_origin,
           p.peak_share, p.latest_share, p.latest_year,
           coalesce(f.low_n_at_10pct, false) AS low_n_at_10pct,
           coalesce(f.low_n_at_50pct, false) AS low_n_at_50pct
    FROM per AS p JOIN flags AS f USING (family, domain) LEFT JOIN origin AS o USING (family)
    WHERE p.first_year IS NOT NULL
)
SELECT * FROM final ORDER BY family, domain
