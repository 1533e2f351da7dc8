-- Citing papers whose resolved references can change when corpus papers change (the
-- published and new versions of each changed row are in changed_int_papers and
-- changed_stg_s2__papers): the citing paper itself (is it ML?), a reference to it by arXiv id,
-- or a reference by any DOI it claims now or claimed before (a DOI claimed twice resolves to
-- nobody). Keys are arXiv ids: citing_paper_id is the citing arXiv id.
WITH changed_papers AS (
    SELECT arxiv_id, doi FROM changed_int_papers
),

changed_dois AS (
    SELECT unnest(string_split(lower(trim(doi)), ' ')) AS doi FROM changed_papers WHERE doi IS NOT NULL
    UNION
    SELECT lower(trim(doi)) FROM changed_stg_s2__papers WHERE doi IS NOT NULL
    UNION
    SELECT lower(trim(s.doi)) FROM stg_s2__papers AS s
    WHERE s.doi IS NOT NULL AND s.arxiv_id IN (SELECT arxiv_id FROM changed_papers)
),

final AS (
    SELECT r.citing_arxiv_id AS k
    FROM stg_s2__references AS r
    WHERE r.citing_arxiv_id IN (SELECT arxiv_id FROM changed_papers)
       OR r.cited_arxiv_id IN (SELECT arxiv_id FROM changed_papers)
       OR r.cited_doi IN (SELECT doi FROM changed_dois WHERE doi <> '')
)

SELECT DISTINCT k FROM final
