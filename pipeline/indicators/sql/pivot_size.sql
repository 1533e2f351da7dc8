-- ind_pivot_size: per (author, ML paper), 1 − cosine between the family counts of the paper's
-- references and those of the references of the author's papers dated strictly earlier (Hill et al.
-- 2021's pivot size, with architecture families in place of journals), from window sums over the
-- (author, paper, family) rows: no author × family grid is ever materialised. Outcomes are those of
-- the switch penalty: the author's ML papers dated in (t, t + {{ days }} days] and the citations
-- those papers receive.
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

-- P = the author's count of family f strictly before the paper's day, C = the same through that day
-- (same-day papers included). Σ_f P_f² grows by Σ_f (C_f² − P_f²) on a day, and C² − P² spread over
-- the day's rows in proportion to x is (C + P)·x, so the norm needs no per-day grid either.
priors AS (
    SELECT author_id, paper_id, day, x,
           coalesce(sum(x) OVER (PARTITION BY author_id, family ORDER BY day
                                 RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prior_x,
           sum(x) OVER (PARTITION BY author_id, family ORDER BY day
                        RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS through_x
    FROM paper_vectors
),

per_paper AS (
    SELECT author_id, paper_id, day,
           sum(x * prior_x) AS dot, sum(x * x) AS focal_sq, sum(x) AS n_refs, count(*) AS n_ref_families,
           sum((through_x + prior_x) * x) AS norm_increment
    FROM priors
    GROUP BY author_id, paper_id, day
),

focal AS (
    SELECT *,
           coalesce(sum(norm_increment) OVER w, 0) AS prior_sq,
           coalesce(sum(n_refs) OVER w, 0) AS prior_refs
    FROM per_paper
    WINDOW w AS (PARTITION BY author_id ORDER BY day RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),

corpus_end AS (
    SELECT make_date(max(year)::INTEGER, 12, 31) - DATE '1970-01-01' AS day FROM dim_papers WHERE is_ml
),

final AS (
    SELECT f.author_id, f.paper_id, o.year, o.published_date,
           f.n_refs AS n_classified_references, f.n_ref_families AS n_reference_families,
           f.prior_refs AS n_prior_references,
           CASE WHEN f.prior_sq > 0
                THEN greatest(0.0, least(1.0, 1 - f.dot / sqrt(f.focal_sq * f.prior_sq))) END AS pivot_size,
           o.window_papers, o.window_citations,
           f.day + {{ days }} <= (SELECT day FROM corpus_end) AS window_complete
    FROM focal AS f
    INNER JOIN outcomes AS o USING (author_id, paper_id)
)

SELECT * FROM final
