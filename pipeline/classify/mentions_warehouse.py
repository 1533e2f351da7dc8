"""Warehouse step ``build_mentions(con, ctx)``: named-model mentions and leaderboard model families.

Runs after ``classify_papers`` (it reads int_papers and stg_pwc__eval_results) and before the marts
SQL, which joins its two tables: int_paper_model_mentions (the models each ML paper builds on, from
its title and abstract) and int_leaderboard_model_families (the family a leaderboard row's
model_name and paper_title name, for rows whose paper is not in the lake).
"""

from __future__ import annotations

import time

import pyarrow as pa

from pipeline.classify.mentions import MentionExtractor, extract_batch, get_extractor
from pipeline.classify.text import get_classifier

BATCH_ROWS = 20_000
LEADERBOARD_SCHEMA = pa.schema([
    ("model_name", pa.string()),
    ("paper_title", pa.string()),
    ("model_key", pa.string()),
    ("model_name_family", pa.string()),
    ("paper_title_family", pa.string()),
])


def _text_family(classifier, text: str | None) -> str | None:
    """The family the text classifier reads in a short name or title; None when it abstains."""
    if not text or not text.strip():
        return None
    verdict = classifier.classify(text, None)
    return None if verdict.primary_family == "other" else verdict.primary_family


def result_families(model_name: str | None, paper_title: str | None, extractor: MentionExtractor | None = None,
                    classifier=None) -> tuple[str | None, str | None, str | None]:
    """(model_key, family from model_name, family from paper_title) of one leaderboard row.

    The model name resolves through the alias table first (its family is curated), then through
    the text classifier ("LSTM + attention", "CNN ensemble"); the title only through the classifier.
    """
    extractor = extractor or get_extractor()
    classifier = classifier or get_classifier()
    key = extractor.model_of(model_name)
    family = extractor.models[key].family if key else None
    if family in (None, "other"):
        family = _text_family(classifier, model_name)
    return key, family, _text_family(classifier, paper_title)


def build_mentions(con, ctx) -> None:
    """Create int_paper_model_mentions and int_leaderboard_model_families."""
    started = time.perf_counter()
    extractor = get_extractor()
    con.execute("CREATE OR REPLACE TABLE int_paper_model_mentions (paper_id VARCHAR, model_key VARCHAR, "
                "mention_text VARCHAR, evidence_span VARCHAR, relation VARCHAR, cue VARCHAR, confidence DOUBLE, "
                "in_title BOOLEAN)")
    reader = con.sql("SELECT paper_id, title, abstract FROM int_papers WHERE is_ml").to_arrow_reader(BATCH_ROWS)
    writer = con.cursor()
    papers = mentions = 0
    try:
        for batch in reader:
            if not batch.num_rows:
                continue
            papers += batch.num_rows
            out = extract_batch(batch, extractor)
            mentions += out.num_rows
            writer.register("_mentions_batch", out)
            writer.execute("INSERT INTO int_paper_model_mentions SELECT * FROM _mentions_batch")
            writer.unregister("_mentions_batch")
    finally:
        writer.close()
    elapsed = time.perf_counter() - started

    classifier = get_classifier()
    rows = con.execute("SELECT DISTINCT model_name, paper_title FROM stg_pwc__eval_results "
                       "ORDER BY model_name, paper_title").fetchall()
    cols: dict[str, list] = {f.name: [] for f in LEADERBOARD_SCHEMA}
    for model_name, paper_title in rows:
        key, name_family, title_family = result_families(model_name, paper_title, extractor, classifier)
        for col, value in zip(LEADERBOARD_SCHEMA.names, (model_name, paper_title, key, name_family, title_family)):
            cols[col].append(value)
    con.register("_leaderboard_families", pa.table(cols, schema=LEADERBOARD_SCHEMA))
    try:
        con.execute("CREATE OR REPLACE TABLE int_leaderboard_model_families AS SELECT * FROM _leaderboard_families")
    finally:
        con.unregister("_leaderboard_families")
    ctx.log.info("named models: %d mentions kept in %d ML papers (%.0f papers/s); %d leaderboard model names",
                 mentions, papers, papers / elapsed if elapsed > 0 else 0.0, len(rows))


__all__ = ["build_mentions", "result_families", "LEADERBOARD_SCHEMA"]
