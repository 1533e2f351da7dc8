-- _ind_trans: consecutive papers of one author (from _ind_seq); a switch changes family.
SELECT a.author_id, a.family AS from_family, b.family AS to_family,
       a.year AS from_year, b.year AS to_year, b.domain AS to_domain, b.paper_id AS to_paper_id,
       b.published_date AS to_date,
       a.family <> b.family AS is_switch
FROM _ind_seq a JOIN _ind_seq b ON a.author_id = b.author_id AND b.seq = a.seq + 1
