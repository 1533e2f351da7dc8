-- ind_framework_transitions from the author transitions (temp table _ind_fw_trans).
SELECT from_framework, to_framework, count(*) AS n_transitions,
       sum(count(*)) OVER (PARTITION BY from_framework) AS from_total,
       count(*) / sum(count(*)) OVER (PARTITION BY from_framework) AS probability,
       count(DISTINCT author_id) AS n_authors
FROM _ind_fw_trans GROUP BY from_framework, to_framework
ORDER BY from_framework, to_framework
