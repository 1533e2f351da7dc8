-- Switch and stay events with outcomes over the following {{ days }} days (see
-- pipeline.indicators.lockin.penalty_events); counted from the edges so both outcomes rest on the
-- same internal citation graph (fct_citations, whose per-paper counts are the in_degree of
-- fct_paper_citation_metrics). Either kind counts only when the author made no switch in the
-- {{ days }} days before it. unswitched_days: the part of the window before the author's own next
-- switch (a stayer's output after that switch is penalised too; the ratio corrects for it).
-- The author's output before and after each paper comes from RANGE windows over the author's
-- papers in date order (a range join per author was the step's costliest part).
WITH cit AS (
    SELECT paper_id, in_degree AS c FROM fct_paper_citation_metrics
),

authored AS (
    SELECT DISTINCT a.author_id, p.paper_id, p.published_date, p.year,
           CAST(p.published_date - DATE '1970-01-01' AS INTEGER) AS day
    FROM fct_authorships a JOIN dim_papers p USING (paper_id)
    WHERE a.author_id IS NOT NULL AND p.is_ml AND p.published_date IS NOT NULL
),

ap AS (
    SELECT w.author_id, w.paper_id, w.published_date, w.year,
           row_number() OVER (PARTITION BY w.author_id ORDER BY w.published_date, w.paper_id) - 1 AS n_before,
           count(*) OVER recent AS recent_output,
           count(*) OVER later AS window_papers,
           coalesce(sum(coalesce(c.c, 0)) OVER later, 0) AS window_citations
    FROM authored AS w
    LEFT JOIN cit AS c USING (paper_id)
    -- integer days, not dates: a date range is ordered and framed as timestamps (~10% of the query)
    WINDOW recent AS (PARTITION BY w.author_id ORDER BY w.day
                      RANGE BETWEEN {{ days }} PRECEDING AND 1 PRECEDING),
           later AS (PARTITION BY w.author_id ORDER BY w.day
                     RANGE BETWEEN 1 FOLLOWING AND {{ days }} FOLLOWING)
),

first AS (SELECT author_id, min(year) AS first_year FROM ap GROUP BY author_id),

corpus_end AS (SELECT make_date(max(year)::INTEGER, 12, 31) AS d FROM dim_papers WHERE is_ml),

ev AS (
    SELECT t.author_id, t.to_paper_id, t.to_date, t.to_year, t.is_switch, t.from_family,
           EXISTS (SELECT 1 FROM _ind_trans s
                   WHERE s.author_id = t.author_id AND s.is_switch
                     AND s.to_date >= t.to_date - {{ days }} AND s.to_date < t.to_date) AS recent_switch,
           (SELECT min(s.to_date) FROM _ind_trans s
            WHERE s.author_id = t.author_id AND s.is_switch
              AND s.to_date > t.to_date AND s.to_date <= t.to_date + {{ days }}) AS next_switch_date
    FROM _ind_trans t
    WHERE t.to_date + {{ days }} <= (SELECT d FROM corpus_end)
),

final AS (
    SELECT ev.author_id, ev.to_paper_id AS paper_id, ev.to_year AS year, ev.is_switch AS switched,
           ev.from_family, ev.to_year - f.first_year AS career_stage, me.n_before AS prior_output,
           me.recent_output,
           coalesce(ev.next_switch_date - ev.to_date, {{ days }}) AS unswitched_days,
           me.window_papers,
           me.window_citations
    FROM ev
    JOIN first f USING (author_id)
    JOIN ap me ON me.author_id = ev.author_id AND me.paper_id = ev.to_paper_id
    WHERE NOT ev.recent_switch
)

SELECT * FROM final
ORDER BY author_id, year, paper_id
