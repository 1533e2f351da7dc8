-- Mean outcome by pivot-size bin, relative to the smallest pivots (bin 0), with team-bootstrap intervals.
WITH final AS (SELECT * FROM ind_pivot_penalty WHERE n_events > 0)
SELECT * FROM final ORDER BY outcome, pivot_bin
