-- Every author's consecutive classified ML papers as (previous → next) pairs: the unit of the
-- lock-in, chance-corrected persistence and switching-hazard indicators.
-- The chance of a repeat is the family's share among the OTHER authors' papers of the previous
-- paper's domain-year: an author's own papers would inflate their family's share in small cells
-- (persistence itself makes them alike), biasing the chance rate up and kappa down.
WITH classified AS (
    SELECT paper_id, published_date, year, primary_family AS family, primary_domain AS domain
    FROM dim_papers
    WHERE is_ml AND year IS NOT NULL AND primary_family IS NOT NULL
      AND coalesce(family_provenance, '') <> 'none'
),

domain_year_counts AS (
    SELECT domain, year, family, count(*) AS n_family,
           sum(count(*)) OVER (PARTITION BY domain, year) AS n_all
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
    SELECT *,
           row_number() OVER (PARTITION BY author_id ORDER BY published_date, paper_id) AS seq,
           CASE WHEN family IS DISTINCT FROM lag(family) OVER (PARTITION BY author_id ORDER BY published_date, paper_id)
                THEN 1 ELSE 0 END AS starts_spell
    FROM sequences
),

spells AS (
    SELECT *, sum(starts_spell) OVER (PARTITION BY author_id ORDER BY seq) AS spell_no
    FROM ordered
),

own_counts AS (
    SELECT author_id, domain, year, family, count(*) AS n_own_family,
           sum(count(*)) OVER (PARTITION BY author_id, domain, year) AS n_own_all
    FROM sequences
    GROUP BY author_id, domain, year, family
),

spell_starts AS (
    SELECT author_id, spell_no, min(year) AS spell_start_year
    FROM spells
    GROUP BY author_id, spell_no
),

final AS (
    SELECT prev.author_id,
           prev.seq AS from_seq,
           prev.paper_id AS from_paper_id,
           nxt.paper_id AS to_paper_id,
           prev.family AS from_family,
           nxt.family AS to_family,
           prev.domain AS from_domain,
           nxt.domain AS to_domain,
           prev.year AS from_year,
           nxt.year AS to_year,
           prev.family = nxt.family AS is_same,
           prev.year - st.spell_start_year AS tenure_years,
           (c.n_family - o.n_own_family) / nullif(c.n_all - o.n_own_all, 0) AS from_family_domain_year_share
    FROM spells AS prev
    JOIN spells AS nxt ON nxt.author_id = prev.author_id AND nxt.seq = prev.seq + 1
    JOIN spell_starts AS st ON st.author_id = prev.author_id AND st.spell_no = prev.spell_no
    JOIN domain_year_counts AS c ON c.domain = prev.domain AND c.year = prev.year AND c.family = prev.family
    JOIN own_counts AS o
      ON o.author_id = prev.author_id AND o.domain = prev.domain AND o.year = prev.year AND o.family = prev.family
)

SELECT * FROM final
