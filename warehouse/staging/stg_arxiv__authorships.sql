-- One row per (paper, author position), with a name-based author key.
WITH papers AS (
    SELECT paper_id, authors FROM stg_arxiv__papers
),

exploded AS (
    SELECT
        paper_id,
        CAST(generate_subscripts(authors, 1) AS INTEGER) AS position,
        unnest(authors) AS author
    FROM papers
),

named AS (
    SELECT
        paper_id,
        position,
        nullif(trim(author.keyname), '') AS keyname,
        nullif(trim(author.forenames), '') AS forenames,
        nullif(trim(author.suffix), '') AS suffix
    FROM exploded
),

final AS (
    SELECT
        paper_id,
        position,
        keyname,
        forenames,
        suffix,
        -- Name-based key: accents folded, case and punctuation ignored, full forenames kept so
        -- that distinct people sharing an initial are not merged (the conservative choice).
        regexp_replace(lower(strip_accents(keyname)), '[^a-z0-9]+', ' ', 'g').trim()
            || '|' || regexp_replace(lower(strip_accents(coalesce(forenames, ''))), '[^a-z0-9]+', ' ', 'g').trim()
            AS author_id
    FROM named
    WHERE keyname IS NOT NULL
)

SELECT * FROM final
