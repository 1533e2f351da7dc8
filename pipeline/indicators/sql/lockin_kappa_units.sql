-- One row per (author, domain of the previous paper): transitions, repeats, and summed chance of a repeat.
SELECT author_id, from_domain AS domain,
       count(*) AS n_transitions,
       sum(is_same::INTEGER) AS n_same,
       sum(from_family_domain_year_share) AS chance_sum
FROM fct_author_transitions
-- a domain-year written by this author alone gives no chance rate: such transitions are left out
WHERE from_family_domain_year_share IS NOT NULL
GROUP BY author_id, from_domain
ORDER BY author_id, domain
