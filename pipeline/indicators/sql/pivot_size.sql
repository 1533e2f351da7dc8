-- ind_pivot_size: per (author, ML paper), 1 − cosine between the family counts of the paper's
-- references and those of the references of the author's papers dated strictly earlier (Hill et al.
-- 2021's pivot size, with architecture families in place of journals). The prior vector's squared
-- norm is accumulated from per-day increments, Σ_f (2 P_f X_f + X_f²), so no author × family grid is
-- ever materialised. Outcomes are those of the switch penalty: the author's ML papers dated in
-- (t, t + {{ days }} days] and the citations those papers receive.
WITH ap AS (
    SELECT DISTINCT a.author_id, p.paper_id, p.published_date, p.year,
           p.published_date - DATE '1970-01-01' AS day
    FROM fct_authorships AS a
    INNER JOIN dim_papers AS p USING (paper_id)
    WHERE a.author_id IS NOT NULL AND p.is_ml AND p.published_date IS NOT NULL AND p.year IS NOT NULL
),

received AS (
    SELECT cited_paper_id AS paper_id, count(*) AS c FROM fct_citations GROUP BY 1
),

outcomes AS (
    SELECT ap.author_id, ap.paper_id, ap.published_date, ap.year, ap.day,
           count(*) OVER w AS window_papers,
           coalesce(sum(coalesce(r.c, 0)) OVER w, 0) AS window_citations
    FROM ap
    LEFT JOIN received AS r USING (paper_id)
    WINDOW w AS (PARTITION BY ap.author_id ORDER BY ap.day RANGE BETWEEN 1 FOLLOWING AND {{ days }} FOLLOWING)
),

reference_families AS (
    SELECT c.citing_paper_id AS paper_id, q.primary_family AS family, count(*) AS x
    FROM fct_citations AS c
    INNER JOIN dim_papers AS q ON q.paper_id = c.cited_paper_id
    WHERE q.primary_family IS NOT NULL AND coalesce(q.family_provenance, '') <> 'none'
    GROUP BY ALL
),

paper_vectors AS (
    SELECT ap.author_id, ap.paper_id, ap.day, r.family, r.x
    FROM ap
    INNER JOIN reference_families AS r USING (paper_id)
),

-- the author's reference counts per family and day, and what was accumulated strictly before that day
day_vectors AS (
    SELECT author_id, day, family, sum(x) AS x FROM paper_vectors GROUP BY ALL
),

day_priors AS (
    SELECT author_id, day, family, x,
           coalesce(sum(x) OVER (PARTITION BY author_id, family ORDER BY day
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prior_x
    FROM day_vectors
),

day_norms AS (
    SELECT author_id, day,
           coalesce(sum(sum(2 * prior_x * x + x * x)) OVER w, 0) AS prior_sq,
           coalesce(sum(sum(x)) OVER w, 0) AS prior_refs
    FROM day_priors
    GROUP BY author_id, day
    WINDOW w AS (PARTITION BY author_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),

-- the prior of a family the author cites today but never cited before is 0
focal AS (
    SELECT v.author_id, v.paper_id, v.day,
           sum(v.x * coalesce(d.prior_x, 0)) AS dot, sum(v.x * v.x) AS focal_sq, sum(v.x) AS n_refs,
           count(*) AS n_ref_families
    FROM paper_vectors AS v
    LEFT JOIN day_priors AS d USING (author_id, day, family)
    GROUP BY ALL
),

corpus_end AS (
    SELECT make_date(max(year)::INTEGER, 12, 31) - DATE '1970-01-01' AS day FROM dim_papers WHERE is_ml
),

final AS (
    SELECT f.author_id, f.paper_id, o.year, o.published_date,
           f.n_refs AS n_classified_references, f.n_ref_families AS n_reference_families,
           n.prior_refs AS n_prior_references,
           CASE WHEN n.prior_sq > 0
                THEN greatest(0.0, least(1.0, 1 - f.dot / sqrt(f.focal_sq * n.prior_sq))) END AS pivot_size,
           o.window_papers, o.window_citations,
           f.day + {{ days }} <= (SELECT day FROM corpus_end) AS window_complete
    FROM focal AS f
    INNER JOIN day_norms AS n USING (author_id, day)
    INNER JOIN outcomes AS o USING (author_id, paper_id)
)

SELECT * FROM final
