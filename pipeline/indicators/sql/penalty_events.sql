-- Switch and stay events with outcomes over the following {{ days }} days (see
-- pipeline.indicators.lockin.penalty_events); counted from the edges so both outcomes rest on the
-- same internal citation graph. Either kind counts only when the author made no switch in the
-- {{ days }} days before it. Window counts are differences of per-author running totals found by
-- ASOF joins: the range joins they replace grew with the square of an author's paper count.
WITH ap AS (
    SELECT author_id, paper_id, published_date, year,
           row_number() OVER (PARTITION BY author_id ORDER BY published_date, paper_id) - 1 AS n_before
    FROM (SELECT DISTINCT a.author_id, p.paper_id, p.published_date, p.year
          FROM fct_authorships a JOIN dim_papers p USING (paper_id)
          WHERE a.author_id IS NOT NULL AND p.is_ml AND p.published_date IS NOT NULL)
), first AS (SELECT author_id, min(year) AS first_year FROM ap GROUP BY author_id),
cit AS (SELECT cited_paper_id AS paper_id, count(*) AS c FROM fct_citations GROUP BY 1),
-- running totals per (author, date): papers and their citations up to and including that date
totals AS (
    SELECT author_id, published_date AS d,
           (sum(count(*)) OVER w)::BIGINT AS n_upto, (sum(sum(coalesce(c.c, 0))) OVER w)::BIGINT AS c_upto
    FROM ap LEFT JOIN cit c USING (paper_id)
    GROUP BY author_id, published_date
    WINDOW w AS (PARTITION BY author_id ORDER BY published_date)
),
switch_dates AS (SELECT DISTINCT author_id, to_date AS d FROM _ind_trans WHERE is_switch AND to_date IS NOT NULL),
corpus_end AS (SELECT make_date(max(year)::INTEGER, 12, 31) AS d FROM dim_papers WHERE is_ml),
candidates AS (
    SELECT t.author_id, t.to_paper_id, t.to_date, t.to_year, t.is_switch, t.from_family
    FROM _ind_trans t
    WHERE t.to_date + {{ days }} <= (SELECT d FROM corpus_end)
),
-- the author's last switch before the event (for the no-recent-switch rule) and first after it
-- (from which a stay event's window is penalised by the stayer's own switch)
ev AS (
    SELECT c.*, prev.d AS prev_switch, nxt.d AS next_switch
    FROM candidates c
    ASOF LEFT JOIN switch_dates prev ON prev.author_id = c.author_id AND prev.d < c.to_date
    ASOF LEFT JOIN switch_dates nxt ON nxt.author_id = c.author_id AND nxt.d > c.to_date
),
clean AS (
    SELECT *, least(to_date + {{ days }}, coalesce(next_switch, to_date + {{ days }})) AS unswitched_end
    FROM ev WHERE prev_switch IS NULL OR prev_switch < to_date - {{ days }}
),
counted AS (
    SELECT e.*,
           coalesce(before.n_upto, 0) AS n_before_t,
           coalesce(long_before.n_upto, 0) AS n_before_recent,
           coalesce(upto_t.n_upto, 0) AS n_upto_t, coalesce(upto_t.c_upto, 0) AS c_upto_t,
           coalesce(upto_end.n_upto, 0) AS n_upto_end, coalesce(upto_end.c_upto, 0) AS c_upto_end
    FROM clean e
    ASOF LEFT JOIN totals before ON before.author_id = e.author_id AND before.d < e.to_date
    ASOF LEFT JOIN totals long_before ON long_before.author_id = e.author_id AND long_before.d < e.to_date - {{ days }}
    ASOF LEFT JOIN totals upto_t ON upto_t.author_id = e.author_id AND upto_t.d <= e.to_date
    ASOF LEFT JOIN totals upto_end ON upto_end.author_id = e.author_id AND upto_end.d <= e.to_date + {{ days }}
),
final AS (
    SELECT c.author_id, c.to_paper_id AS paper_id, c.to_year AS year, c.is_switch AS switched,
           c.from_family, c.to_year - f.first_year AS career_stage, me.n_before AS prior_output,
           c.n_before_t - c.n_before_recent AS recent_output,
           c.n_upto_end - c.n_upto_t AS window_papers,
           c.c_upto_end - c.c_upto_t AS window_citations,
           datediff('day', c.to_date, c.unswitched_end) AS unswitched_days
    FROM counted c
    JOIN first f USING (author_id)
    JOIN ap me ON me.author_id = c.author_id AND me.paper_id = c.to_paper_id
)
SELECT * FROM final ORDER BY author_id, year, paper_id
