-- ind_author_switching: per author, papers, years and family switches, from the temp tables
-- _ind_seq (an author's classified papers in order) and _ind_trans (consecutive pairs).
WITH papers AS (
    SELECT author_id, count(*) AS n_papers, min(year) AS first_year, max(year) AS last_year,
           count(DISTINCT family) AS n_families
    FROM _ind_seq GROUP BY author_id
), switches AS (
    SELECT author_id, count(*) AS n_transitions, count(*) FILTER (WHERE is_switch) AS n_switches
    FROM _ind_trans GROUP BY author_id
), final AS (
    SELECT s.author_id, s.n_papers, s.first_year, s.last_year,
           coalesce(t.n_transitions, 0) AS n_transitions,
           coalesce(t.n_switches, 0) AS n_switches,
           t.n_switches / nullif(t.n_transitions, 0) AS switch_rate,
           s.n_families
    FROM papers AS s LEFT JOIN switches AS t USING (author_id)
)
SELECT * FROM final ORDER BY author_id
