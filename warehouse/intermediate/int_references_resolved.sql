-- Every Semantic Scholar reference resolved to a corpus paper by arXiv id, then by DOI.
WITH refs AS (
    SELECT * FROM stg_s2__references
),

papers AS (
    SELECT paper_id, arxiv_id, doi, is_ml FROM int_papers
),

paper_dois AS (
    SELECT paper_id, doi
    FROM (
        SELECT paper_id, unnest(string_split(lower(trim(doi)), ' ')) AS doi
        FROM papers
        WHERE doi IS NOT NULL
    )
    WHERE doi <> ''
    UNION
    SELECT p.paper_id, lower(trim(s.doi)) AS doi
    FROM stg_s2__papers AS s
    INNER JOIN papers AS p ON p.arxiv_id = s.arxiv_id
    WHERE s.doi IS NOT NULL AND trim(s.doi) <> ''
),

-- A DOI claimed by two corpus papers identifies neither, so it is not used.
unambiguous_dois AS (
    SELECT d.doi, min(d.paper_id) AS paper_id, bool_or(p.is_ml) AS is_ml
    FROM paper_dois AS d
    INNER JOIN papers AS p ON p.paper_id = d.paper_id
    GROUP BY d.doi
    HAVING count(DISTINCT d.paper_id) = 1
),

resolved AS (
    SELECT
        coalesce(citing.paper_id, r.citing_arxiv_id) AS citing_paper_id,
        r.position,
        coalesce(by_arxiv.paper_id, by_doi.paper_id) AS cited_paper_id,
        CASE
            WHEN by_arxiv.paper_id IS NOT NULL THEN 'arxiv'
            WHEN by_doi.paper_id IS NOT NULL THEN 'doi'
            WHEN r.cited_s2_paper_id IS NOT NULL OR r.cited_arxiv_id IS NOT NULL OR r.cited_doi IS NOT NULL THEN 'external'
            ELSE 'unresolvable'
        END AS resolution,
        coalesce(citing.is_ml, FALSE) AS citing_is_ml,
        coalesce(by_arxiv.is_ml, by_doi.is_ml, FALSE) AS cited_is_ml,
        r.cited_s2_paper_id,
        r.cited_corpus_id,
        r.cited_arxiv_id,
        r.cited_doi,
        r.cited_title,
        r.cited_year,
        r.fetch_batch
    FROM refs AS r
    LEFT JOIN papers AS citing ON citing.arxiv_id = r.citing_arxiv_id
    LEFT JOIN papers AS by_arxiv ON by_arxiv.arxiv_id = r.cited_arxiv_id
    LEFT JOIN unambiguous_dois AS by_doi ON by_arxiv.paper_id IS NULL AND by_doi.doi = r.cited_doi
),

final AS (
    SELECT * FROM resolved
)

SELECT * FROM final
