-- Field-wide lock-in: P(an author's next paper stays in the same family)
WITH final AS (
    SELECT n_authors, n_transitions, round(persistence, 3) AS persistence, persistence_ci_low,
           persistence_ci_high, shorrocks_mobility
    FROM ind_lockin
)
SELECT * FROM final
