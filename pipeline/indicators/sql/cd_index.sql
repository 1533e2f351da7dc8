-- ind_cd_index: CD_5 and its variants for every focal ML paper, from the per-paper citer counts
-- the CSR sweep wrote to _cd_counts(idx, n_references, n_i, n_j, n_k, n_i_l, n_j_l, n_k_l, n_self,
-- n_k_se, n_k_l_se, citer_sample_rate) over the node numbering _cd_nodes (see
-- citations.cd_counts). n_k and n_k_l are estimates with standard errors when citer_sample_rate < 1.
-- n_i: later papers in the window citing the focal paper and none of its references; n_j: it and
-- at least one; n_k: at least one reference but not it; the _l counts use "at least l references".
WITH focal AS (
    SELECT n.idx, p.paper_id, p.published_date, p.year, p.primary_family AS family
    FROM dim_papers AS p
    INNER JOIN _cd_nodes AS n USING (paper_id)
    WHERE n.is_focal
),

corpus_end AS (
    SELECT max(published_date) AS last_date, max(year) AS last_year FROM dim_papers WHERE is_ml
),

final AS (
    SELECT f.paper_id, f.year, f.family,
           coalesce(c.n_references, 0) AS n_references,
           c.n_i AS n_cite_focal_only,
           c.n_j AS n_cite_both,
           CAST(round(c.n_k) AS BIGINT) AS n_cite_refs_only,
           CAST(round(c.n_i + c.n_j + c.n_k) AS BIGINT) AS n_t,
           CAST(round(c.n_self) AS BIGINT) AS n_self_citers,
           coalesce(c.n_references, 0) >= {{ min_references }}
               AND c.n_i + c.n_j >= 1 AS cd_eligible,
           CASE WHEN cd_eligible THEN (c.n_i - c.n_j) / (c.n_i + c.n_j + c.n_k) END AS cd,
           CASE WHEN cd_eligible THEN (c.n_i - c.n_j) / (c.n_i + c.n_j) END AS cd_nok,
           CASE WHEN cd_eligible AND c.n_i_l + c.n_j_l + c.n_k_l > 0
                THEN (c.n_i_l - c.n_j_l) / (c.n_i_l + c.n_j_l + c.n_k_l) END AS di_l,
           -- delta method: only the denominator's n_k is estimated
           CASE WHEN cd_eligible THEN abs(c.n_i - c.n_j) * c.n_k_se / pow(c.n_i + c.n_j + c.n_k, 2) END AS cd_se,
           CASE WHEN di_l IS NOT NULL
                THEN abs(c.n_i_l - c.n_j_l) * c.n_k_l_se / pow(c.n_i_l + c.n_j_l + c.n_k_l, 2) END AS di_l_se,
           c.citer_sample_rate >= 1 AS cd_exact,
           c.citer_sample_rate,
           {{ window }} AS window_years,
           {{ l_references }} AS l_references,
           NOT ({{ keep_self }} = 1) AS self_citations_excluded,
           coalesce(f.published_date + to_years({{ window }}) <= e.last_date,
                    f.year + {{ window }} - 1 <= e.last_year) AS window_complete
    FROM focal AS f
    CROSS JOIN corpus_end AS e
    INNER JOIN _cd_counts AS c ON c.idx = f.idx
)

SELECT * FROM final ORDER BY paper_id
