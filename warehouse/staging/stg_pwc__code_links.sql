-- Links between papers and code repositories from Papers With Code.
WITH source AS (
    SELECT * FROM {{ lake('pwc/code_links') }}
),

final AS (
    SELECT
        paper_url,
        paper_title,
        arxiv_id,
        paper_url_abs,
        paper_url_pdf,
        repo_url,
        is_official,
        mentioned_in_paper,
        mentioned_in_github,
        framework,
        "version" AS dump_version
    FROM source
    QUALIFY row_number() OVER (PARTITION BY paper_url, repo_url ORDER BY "version" DESC) = 1
)

SELECT * FROM final
