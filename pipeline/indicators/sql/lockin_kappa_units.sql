-- One row per (author, domain): transitions from that domain, repeats, summed chance of a repeat,
-- and the author's influence on the chance term through the domain-year shares (delta method).
--
-- The chance share of a transition t by author a from cell (domain d, year y, family f) is
-- s_t = (C[dyf] - own_a[dyf]) / N_t with N_t = C[dy] - own_a[dy]. Giving paper p a bootstrap
-- weight moves every s_t of OTHER authors in its domain-year by (1[f = f_p] - s_t) / N_t, so
--   g_p = A[dy, f_p] - B[dy] - sum over p's authors b of (A_b[dy, f_p] - B_b[dy]),
-- with A[dyf] = sum of 1/N_t over transitions from dyf and B[dy] = sum of s_t/N_t over dy (A_b, B_b:
-- author b's own transitions only, whose shares exclude b's papers). A replicate that redraws
-- authors moves the chance total by sum_a (w_a - 1) * influence_a, a paper sharing its weight
-- equally among its authors.
WITH classified AS (
    SELECT paper_id, year, primary_family AS family, primary_domain AS domain
    FROM dim_papers
    WHERE is_ml AND year IS NOT NULL AND primary_family IS NOT NULL
      AND coalesce(family_provenance, '') <> 'none'
),

authored AS (
    SELECT DISTINCT a.author_id, c.paper_id, c.domain, c.year, c.family
    FROM fct_authorships AS a
    JOIN classified AS c USING (paper_id)
    WHERE a.author_id IS NOT NULL
),

cell_counts AS (
    SELECT domain, year, count(*) AS n_all
    FROM classified
    GROUP BY domain, year
),

own_counts AS (
    SELECT author_id, domain, year, count(*) AS n_own_all
    FROM authored
    GROUP BY author_id, domain, year
),

-- a domain-year written by this author alone gives no chance rate: such transitions are left out
scored AS (
    SELECT t.author_id, t.from_domain AS domain, t.from_year AS year, t.from_family AS family,
           t.is_same, t.from_family_domain_year_share AS share,
           c.n_all - o.n_own_all AS n_other
    FROM fct_author_transitions AS t
    JOIN cell_counts AS c ON c.domain = t.from_domain AND c.year = t.from_year
    JOIN own_counts AS o ON o.author_id = t.author_id AND o.domain = t.from_domain AND o.year = t.from_year
    WHERE t.from_family_domain_year_share IS NOT NULL
),

units AS (
    SELECT author_id, domain,
           count(*) AS n_transitions,
           sum(is_same::INTEGER) AS n_same,
           sum(share) AS chance_sum
    FROM scored
    GROUP BY author_id, domain
),

a_cell AS (
    SELECT domain, year, family, sum(1.0 / n_other) AS a
    FROM scored
    GROUP BY domain, year, family
),

b_cell AS (
    SELECT domain, year, sum(share / n_other) AS b
    FROM scored
    GROUP BY domain, year
),

a_own AS (
    SELECT author_id, domain, year, family, sum(1.0 / n_other) AS a
    FROM scored
    GROUP BY author_id, domain, year, family
),

b_own AS (
    SELECT author_id, domain, year, sum(share / n_other) AS b
    FROM scored
    GROUP BY author_id, domain, year
),

paper_own AS (
    SELECT w.paper_id, count(*) AS n_authors,
           sum(coalesce(ao.a, 0.0) - coalesce(bo.b, 0.0)) AS own_term
    FROM authored AS w
    LEFT JOIN a_own AS ao USING (author_id, domain, year, family)
    LEFT JOIN b_own AS bo USING (author_id, domain, year)
    GROUP BY w.paper_id
),

paper_influence AS (
    SELECT c.paper_id, c.domain,
           (coalesce(ac.a, 0.0) - coalesce(bc.b, 0.0) - po.own_term) / po.n_authors AS g_per_author
    FROM classified AS c
    JOIN paper_own AS po USING (paper_id)
    LEFT JOIN a_cell AS ac USING (domain, year, family)
    LEFT JOIN b_cell AS bc USING (domain, year)
),

influence AS (
    SELECT w.author_id, w.domain, sum(p.g_per_author) AS chance_influence
    FROM (SELECT DISTINCT author_id, paper_id, domain FROM authored) AS w
    JOIN paper_influence AS p USING (paper_id)
    GROUP BY w.author_id, w.domain
),

final AS (
    SELECT author_id, domain,
           coalesce(u.n_transitions, 0) AS n_transitions,
           coalesce(u.n_same, 0) AS n_same,
           coalesce(u.chance_sum, 0.0) AS chance_sum,
           coalesce(i.chance_influence, 0.0) AS chance_influence
    FROM units AS u
    FULL OUTER JOIN influence AS i USING (author_id, domain)
)

SELECT * FROM final
ORDER BY author_id, domain
