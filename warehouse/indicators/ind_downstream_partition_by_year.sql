-- Downstream papers per foundation method and year over a partition: each ML paper that builds on a
-- method (fct_paper_builds_on, PwC or text) goes to its nearest foundation ancestor only, so a year's
-- shares sum to 1. Ties on hops go to the foundation with fewer descendants (the more specific
-- one), then to the name; tied papers are counted.
WITH candidates AS (
    SELECT b.paper_id, b.year, a.foundation, a.hops, a.foundation_descendants
    FROM fct_paper_builds_on AS b
    INNER JOIN ind_foundation_ancestors AS a ON a.kind = 'method' AND a.node = b.method_name
    WHERE b.year IS NOT NULL
),

nearest AS (
    SELECT paper_id, min(year) AS year, min(hops) AS hops FROM candidates GROUP BY paper_id
),

assigned AS (
    SELECT n.paper_id, n.year,
           arg_min(c.foundation, (coalesce(c.foundation_descendants, 0), c.foundation)) AS foundation,
           count(DISTINCT c.foundation) > 1 AS tied
    FROM nearest AS n
    INNER JOIN candidates AS c ON c.paper_id = n.paper_id AND c.hops = n.hops
    GROUP BY n.paper_id, n.year
),

final AS (
    SELECT CAST(year AS INTEGER) AS year, foundation AS foundation_method, count(*) AS papers,
           count(*) FILTER (WHERE tied) AS tied_papers,
           count(*) / sum(count(*)) OVER (PARTITION BY year) AS share_of_year
    FROM assigned
    GROUP BY year, foundation
)

SELECT * FROM final ORDER BY year, foundation_method
