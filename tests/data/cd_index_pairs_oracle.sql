-- Oracle for the CD sweep: the CD index as the warehouse computed it before the sweep, by joining
-- every (focal paper, later paper) pair in SQL. Exact but quadratic in the citers of references,
-- so it is kept here only to check pipeline.indicators.citations on small property graphs.
-- Parameters {{ window }}, {{ l_references }}, {{ min_references }}, {{ keep_self }}; every
-- focal paper is in the sample (threshold 1000000). Creates table oracle_cd.
CREATE OR REPLACE TEMP TABLE _cd_ids AS
SELECT paper_id, row_number() OVER (ORDER BY paper_id) AS id FROM (
    SELECT paper_id FROM dim_papers UNION SELECT citing_paper_id FROM fct_citations
    UNION SELECT cited_paper_id FROM fct_citations);
CREATE OR REPLACE TEMP TABLE _cd_edges AS
SELECT DISTINCT a.id AS citing, b.id AS cited, c.citing_date AS d, c.citing_year AS y
FROM fct_citations c JOIN _cd_ids a ON a.paper_id = c.citing_paper_id
JOIN _cd_ids b ON b.paper_id = c.cited_paper_id;
CREATE OR REPLACE TEMP TABLE _cd_authors AS
SELECT DISTINCT i.id, a.author_id FROM fct_authorships a JOIN _cd_ids i USING (paper_id)
WHERE a.author_id IS NOT NULL;
CREATE OR REPLACE TABLE oracle_cd AS
WITH focal AS (
    SELECT i.id, p.paper_id, p.published_date, p.year, p.primary_family AS family,
           hash(p.paper_id) % 1000000 < 1000000 AS in_sample
    FROM dim_papers AS p
    JOIN _cd_ids AS i USING (paper_id)
    WHERE p.is_ml AND p.year IS NOT NULL
),

sampled AS (
    SELECT id, published_date, year,
           published_date + to_years({{ window }}) AS window_end,
           year + {{ window }} AS year_end
    FROM focal
    WHERE in_sample
),

refs AS (
    SELECT citing AS focal_id, count(DISTINCT cited) AS n_references
    FROM _cd_edges
    GROUP BY citing
),

pairs AS (
    -- i cites the focal paper
    SELECT s.id AS focal_id, c.citing AS i, 1 AS cites_focal
    FROM sampled AS s
    JOIN _cd_edges AS c ON c.cited = s.id
    WHERE coalesce(c.d > s.published_date AND c.d <= s.window_end, c.y >= s.year AND c.y < s.year_end)
    UNION ALL
    -- i cites reference r of the focal paper (and is not the focal paper)
    SELECT s.id, c.citing, 0
    FROM sampled AS s
    JOIN _cd_edges AS r ON r.citing = s.id
    JOIN _cd_edges AS c ON c.cited = r.cited
    WHERE c.citing <> s.id
      AND coalesce(c.d > s.published_date AND c.d <= s.window_end, c.y >= s.year AND c.y < s.year_end)
),

per_citer AS (
    -- edges are distinct, so each reference-citing row is a different reference of the focal paper
    SELECT focal_id, i, max(cites_focal) AS f, sum(1 - cites_focal) AS n_refs_cited
    FROM pairs
    GROUP BY focal_id, i
),

self_citers AS (
    -- a later paper sharing an author with the focal paper is the same people building on themselves;
    -- built from the authors' own papers, which are far fewer than the (focal, citer) pairs
    SELECT DISTINCT fa.id AS focal_id, ca.id AS i
    FROM sampled AS s
    JOIN _cd_authors AS fa ON fa.id = s.id
    JOIN _cd_authors AS ca ON ca.author_id = fa.author_id AND ca.id <> fa.id
),

kept AS (
    SELECT p.*, s.i IS NOT NULL AS is_self
    FROM per_citer AS p
    LEFT JOIN self_citers AS s USING (focal_id, i)
),

self_counts AS (
    SELECT focal_id, count(*) AS n_self_citers FROM kept WHERE is_self GROUP BY focal_id
),

agg AS (
    SELECT focal_id,
           count(*) FILTER (WHERE f = 1 AND n_refs_cited = 0) AS n_i,
           count(*) FILTER (WHERE f = 1 AND n_refs_cited > 0) AS n_j,
           count(*) FILTER (WHERE f = 0 AND n_refs_cited > 0) AS n_k,
           count(*) FILTER (WHERE f = 1 AND n_refs_cited < {{ l_references }}) AS n_i_l,
           count(*) FILTER (WHERE f = 1 AND n_refs_cited >= {{ l_references }}) AS n_j_l,
           count(*) FILTER (WHERE f = 0 AND n_refs_cited >= {{ l_references }}) AS n_k_l
    FROM kept
    WHERE ({{ keep_self }} = 1) OR NOT is_self
    GROUP BY focal_id
),

corpus_end AS (
    SELECT max(published_date) AS last_date, max(year) AS last_year FROM dim_papers WHERE is_ml
),

final AS (
    SELECT f.paper_id, f.year, f.family,
           coalesce(r.n_references, 0) AS n_references,
           CASE WHEN f.in_sample THEN coalesce(a.n_i, 0) END AS n_cite_focal_only,
           CASE WHEN f.in_sample THEN coalesce(a.n_j, 0) END AS n_cite_both,
           CASE WHEN f.in_sample THEN coalesce(a.n_k, 0) END AS n_cite_refs_only,
           CASE WHEN f.in_sample THEN coalesce(a.n_i + a.n_j + a.n_k, 0) END AS n_t,
           CASE WHEN f.in_sample THEN coalesce(sc.n_self_citers, 0) END AS n_self_citers,
           f.in_sample AND coalesce(r.n_references, 0) >= {{ min_references }}
               AND coalesce(a.n_i + a.n_j, 0) >= 1 AS cd_eligible,
           CASE WHEN cd_eligible THEN (a.n_i - a.n_j) / (a.n_i + a.n_j + a.n_k) END AS cd,
           CASE WHEN cd_eligible THEN (a.n_i - a.n_j) / (a.n_i + a.n_j) END AS cd_nok,
           CASE WHEN cd_eligible AND a.n_i_l + a.n_j_l + a.n_k_l > 0
                THEN (a.n_i_l - a.n_j_l) / (a.n_i_l + a.n_j_l + a.n_k_l) END AS di_l,
           f.in_sample AS in_cd_sample,
           {{ window }} AS window_years,
           {{ l_references }} AS l_references,
           NOT ({{ keep_self }} = 1) AS self_citations_excluded,
           coalesce(f.published_date + to_years({{ window }}) <= e.last_date,
                    f.year + {{ window }} - 1 <= e.last_year) AS window_complete
    FROM focal AS f
    CROSS JOIN corpus_end AS e
    LEFT JOIN refs AS r ON r.focal_id = f.id
    LEFT JOIN agg AS a ON a.focal_id = f.id
    LEFT JOIN self_counts AS sc ON sc.focal_id = f.id
)

SELECT * FROM final ORDER BY paper_id;
