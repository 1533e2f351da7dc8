-- ind_cd_index: CD (disruption) index per ML paper over a citation window of {{ window }} years,
-- on a hash sample of papers below {{ threshold }} per million (temp tables _cd_ids, _cd_edges).
WITH focal AS (
    SELECT i.id, p.paper_id, p.published_date, p.year, p.primary_family AS family,
           hash(p.paper_id) % 1000000 < {{ threshold }} AS in_sample
    FROM dim_papers p JOIN _cd_ids i USING (paper_id) WHERE p.is_ml AND p.year IS NOT NULL
), sampled AS (
    SELECT id FROM focal WHERE in_sample
), refs AS (
    SELECT citing AS focal_id, count(*) AS n_references FROM _cd_edges GROUP BY 1
), pairs AS (
    -- i cites the focal paper
    SELECT f.id AS focal_id, c.citing AS i, 1 AS fwd, 0 AS bwd
    FROM focal f JOIN _cd_edges c ON c.cited = f.id
    WHERE f.in_sample AND c.y <= f.year + {{ window }}
      AND (c.d > f.published_date OR c.d IS NULL OR f.published_date IS NULL)
    UNION ALL
    -- i cites one of the focal paper's references (but is not the focal paper)
    SELECT r.citing, c.citing, 0, 1
    FROM _cd_edges r JOIN sampled s ON s.id = r.citing JOIN _cd_edges c ON c.cited = r.cited
    WHERE c.citing <> r.citing
      AND c.y <= r.y + {{ window }}
      AND (c.d > r.d OR c.d IS NULL OR r.d IS NULL)
), per_i AS (
    SELECT focal_id, i, max(fwd) AS f, max(bwd) AS b FROM pairs GROUP BY focal_id, i
), agg AS (
    SELECT focal_id,
           count(*) FILTER (WHERE f = 1 AND b = 0) AS n_cite_focal_only,
           count(*) FILTER (WHERE f = 1 AND b = 1) AS n_cite_both,
           count(*) FILTER (WHERE f = 0 AND b = 1) AS n_cite_refs_only,
           count(*) AS n_t,
           avg(-2 * f * b + f) AS cd
    FROM per_i GROUP BY focal_id
)
SELECT f.paper_id, f.year, f.family,
       coalesce(r.n_references, 0) AS n_references,
       CASE WHEN f.in_sample THEN coalesce(a.n_cite_focal_only, 0) END AS n_cite_focal_only,
       CASE WHEN f.in_sample THEN coalesce(a.n_cite_both, 0) END AS n_cite_both,
       CASE WHEN f.in_sample THEN coalesce(a.n_cite_refs_only, 0) END AS n_cite_refs_only,
       CASE WHEN f.in_sample THEN coalesce(a.n_t, 0) END AS n_t,
       -- undefined without internal references (nothing to be disruptive against) or citers
       CASE WHEN coalesce(r.n_references, 0) > 0 AND coalesce(a.n_t, 0) > 0 THEN a.cd END AS cd,
       f.in_sample AS in_cd_sample,
       {{ window }} AS window_years,
       f.year + {{ window }} <= (SELECT max(year) FROM focal) AS window_complete
FROM focal f LEFT JOIN refs r ON r.focal_id = f.id LEFT JOIN agg a ON a.focal_id = f.id
ORDER BY f.paper_id
