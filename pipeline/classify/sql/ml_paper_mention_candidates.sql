-- ML papers whose title or abstract may name a model: the RE2 prefilter (a superset of the Python
-- alias regex) runs here, in parallel, so only candidate texts are read into Python. A field that
-- cannot hold a hit is NULL, which the extractor reads as an empty text.
WITH ml AS (
    SELECT paper_id, title, abstract
    FROM int_papers
    WHERE is_ml
),

flagged AS (
    SELECT
        paper_id,
        title,
        abstract,
        coalesce(regexp_matches(title, getvariable('mention_nocase_re'))
                 OR regexp_matches(title, getvariable('mention_cased_re')), false) AS title_may_hit,
        coalesce(regexp_matches(abstract, getvariable('mention_nocase_re'))
                 OR regexp_matches(abstract, getvariable('mention_cased_re')), false) AS abstract_may_hit
    FROM ml
),

final AS (
    SELECT
        paper_id,
        CASE WHEN title_may_hit THEN title END AS title,
        CASE WHEN abstract_may_hit THEN abstract END AS abstract
    FROM flagged
    WHERE title_may_hit OR abstract_may_hit
)

SELECT * FROM final
