-- One row per (author, domain of the previous paper): the author's transitions between consecutive
-- classified ML papers, how many kept the family, and the summed chance of keeping it.
-- The chance of a repeat is the share of the previous paper's family among the classified papers of
-- the previous paper's domain-year: known before the next paper, so it does not condition on it.
WITH classified AS (
    SELECT paper_id, published_date, year, primary_family AS family, primary_domain AS domain
    FROM dim_papers
    WHERE is_ml AND year IS NOT NULL AND primary_family IS NOT NULL
      AND coalesce(family_provenance, '') <> 'none'
),

domain_year_shares AS (
    SELECT domain, year, family,
           count(*) / sum(count(*)) OVER (PARTITION BY domain, year) AS share
    FROM classified
    GROUP BY domain, year, family
),

sequences AS (
    SELECT DISTINCT a.author_id, c.paper_id, c.published_date, c.year, c.family, c.domain
    FROM fct_authorships AS a
    JOIN classified AS c USING (paper_id)
    WHERE a.author_id IS NOT NULL
),

ordered AS (
    SELECT *, row_number() OVER (PARTITION BY author_id ORDER BY published_date, paper_id) AS seq
    FROM sequences
),

transitions AS (
    SELECT prev.author_id, prev.domain, prev.year, prev.family,
           (prev.family = nxt.family)::INTEGER AS same
    FROM ordered AS prev
    JOIN ordered AS nxt ON nxt.author_id = prev.author_id AND nxt.seq = prev.seq + 1
),

final AS (
    SELECT t.author_id, t.domain,
           count(*) AS n_transitions,
           sum(t.same) AS n_same,
           sum(s.share) AS chance_sum
    FROM transitions AS t
    JOIN domain_year_shares AS s USING (domain, year, family)
    GROUP BY t.author_id, t.domain
)

SELECT * FROM final ORDER BY author_id, domain
