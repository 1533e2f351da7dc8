-- One row per (author, family, tenure bin): papers at risk of leaving the family, exits, and the
-- summed probability of an exit by chance (1 - the family's domain-year share). Authors come as
-- their rank in id order (what np.unique would number them), so no id string reaches Python.
WITH units AS (
    SELECT author_id, from_family AS family,
           least(tenure_years, getvariable('max_tenure')) AS tenure_years,
           count(*) AS n_at_risk,
           sum((NOT is_same)::INTEGER) AS n_exits,
           sum(1.0 - from_family_domain_year_share) AS chance_exit_sum
    FROM fct_author_transitions
    -- a domain-year written by this author alone gives no chance rate: such transitions are left out
    WHERE from_family_domain_year_share IS NOT NULL
    GROUP BY ALL
),

final AS (
    SELECT dense_rank() OVER (ORDER BY author_id) - 1 AS author_code, family, tenure_years, n_at_risk, n_exits,
           chance_exit_sum
    FROM units
)

SELECT * FROM final
ORDER BY author_code, family, tenure_years
