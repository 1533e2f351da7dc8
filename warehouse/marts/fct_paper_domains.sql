-- Research domains of each ML paper (primary and secondary), fractional weights.
WITH domains AS (
    SELECT * FROM int_paper_domains
),

final AS (
    SELECT
        d.paper_id,
        d.domain,
        d.weight,
        d.is_primary,
        d.domain_source
    FROM domains AS d
    INNER JOIN dim_papers AS p ON p.paper_id = d.paper_id
)

SELECT * FROM final
