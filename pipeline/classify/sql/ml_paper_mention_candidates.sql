-- ML papers whose title or abstract may name a model: the RE2 prefilter (a superset of the Python
-- alias regex) runs here, in parallel, so only candidate texts are read into Python. A field that
-- cannot hold a hit is NULL, which the extractor reads as an empty text. text_hash keys the mentions
-- cache; it is taken over the whole title and abstract, and only for the candidates.
-- (SELECT *: the hash reads categories where int_papers has them; unused columns are pruned.)
WITH ml AS (
    SELECT *
    FROM int_papers
    WHERE is_ml
),

flagged AS (
    SELECT
        *,
        coalesce(regexp_matches(title, getvariable('mention_nocase_re'))
                 OR regexp_matches(title, getvariable('mention_cased_re')), false) AS title_may_hit,
        coalesce(regexp_matches(abstract, getvariable('mention_nocase_re'))
                 OR regexp_matches(abstract, getvariable('mention_cased_re')), false) AS abstract_may_hit
    FROM ml
),

hashed AS (
    SELECT *, {{ text_hash }} AS text_hash
    FROM flagged
    WHERE title_may_hit OR abstract_may_hit
),

final AS (
    SELECT
        paper_id,
        CASE WHEN title_may_hit THEN title END AS title,
        CASE WHEN abstract_may_hit THEN abstract END AS abstract,
        text_hash
    FROM hashed
)

SELECT * FROM final
