"""Warehouse step ``build_mentions(con, ctx)``: named-model mentions and leaderboard model families.

Runs after ``classify_papers`` (it reads int_papers and stg_pwc__eval_results) and before the marts
SQL, which joins its two tables: int_paper_model_mentions (the models each ML paper builds on, from
its title and abstract) and int_leaderboard_model_families (the family a leaderboard row's
model_name and paper_title name, for rows whose paper is not in the lake).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa

from pipeline.classify.mentions import MentionExtractor, extract_batch, get_extractor
from pipeline.classify.text import get_classifier

DOWNSTREAM_SQL = Path(__file__).parent / "sql" / "fct_builds_on_downstream_by_year.sql"
CANDIDATES_SQL = Path(__file__).parent / "sql" / "ml_paper_mention_candidates.sql"
BATCH_ROWS = 20_000
# As in classify_papers: below this many ML papers one process is faster than starting a pool.
PARALLEL_MIN_ROWS = 100_000
MAX_WORKERS = 4
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


def _extract_lists(ids: list, titles: list, abstracts: list) -> pa.RecordBatch:
    """extract_batch on plain lists (what a worker process receives)."""
    return extract_batch(pa.record_batch([pa.array(ids, pa.string()), pa.array(titles, pa.string()),
                                          pa.array(abstracts, pa.string())], names=["paper_id", "title", "abstract"]))


def _mention_batches(reader, workers: int, extractor: MentionExtractor):
    """Yield mention batches in input order, using ``workers`` processes when more than one."""
    if workers <= 1:
        for batch in reader:
            if batch.num_rows:
                yield batch.num_rows, extract_batch(batch, extractor)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent holds DuckDB's threads and locks.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque = deque()
        for batch in reader:
            if not batch.num_rows:
                continue
            pending.append((batch.num_rows, pool.submit(_extract_lists, *(batch.column(i).to_pylist() for i in range(3)))))
            if len(pending) > 2 * workers:  # bounded look-ahead keeps memory at a few batches
                n, fut = pending.popleft()
                yield n, fut.result()
        while pending:
            n, fut = pending.popleft()
            yield n, fut.result()


def build_mentions(con, ctx) -> None:
    """Create int_paper_model_mentions and int_leaderboard_model_families."""
    started = time.perf_counter()
    extractor = get_extractor()
    con.execute("CREATE OR REPLACE TABLE int_paper_model_mentions (paper_id VARCHAR, model_key VARCHAR, "
                "mention_text VARCHAR, evidence_span VARCHAR, relation VARCHAR, cue VARCHAR, confidence DOUBLE, "
                "in_title BOOLEAN)")
    n_ml = con.execute("SELECT count(*) FROM int_papers WHERE is_ml").fetchall()[0][0]  # fetchall closes the result
    # A never-matching pattern keeps the SQL valid when the seed has no alias of one kind.
    nocase_re, cased_re = (p or "[^\\x00-\\x{10FFFF}]" for p in extractor.prefilter_patterns())
    con.execute("SET VARIABLE mention_nocase_re = ?", [nocase_re])
    con.execute("SET VARIABLE mention_cased_re = ?", [cased_re])
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if n_ml >= PARALLEL_MIN_ROWS else 1
    reader = con.sql(CANDIDATES_SQL.read_text()).to_arrow_reader(BATCH_ROWS)
    writer = con.cursor()
    papers = mentions = 0
    try:
        for n, out in _mention_batches(reader, workers, extractor):
            papers += n
            mentions += out.num_rows
            writer.register("_mentions_batch", out)
            writer.execute("INSERT INTO int_paper_model_mentions SELECT * FROM _mentions_batch")
            writer.unregister("_mentions_batch")
    finally:
        writer.close()
    elapsed = time.perf_counter() - started

    classifier = get_classifier()
    # Missing names and titles become '' so the pair is a non-null key (the gates check unique keys for nulls).
    rows = con.execute("SELECT DISTINCT coalesce(model_name, '') AS model_name, coalesce(paper_title, '') AS paper_title "
                       "FROM stg_pwc__eval_results ORDER BY model_name, paper_title").fetchall()
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
    ctx.log.info("named models: %d mentions kept in %d ML papers, %d of them read by Python after the RE2 "
                 "prefilter (%d process(es), %.0f ML papers/s); %d leaderboard model names", mentions, n_ml, papers,
                 workers, n_ml / elapsed if elapsed > 0 else 0.0, len(rows))


def build_builds_on_downstream(con, ctx) -> None:
    """Create fct_builds_on_downstream_by_year (after the lineage step: it reads fct_lineage_edges)."""
    models = get_extractor().models
    keys = sorted(models)
    con.register("_model_bases", pa.table({"model_key": pa.array(keys, pa.string()),
                                           "base_model": pa.array([models[k].base_model for k in keys], pa.string())}))
    try:
        con.execute("CREATE OR REPLACE TABLE fct_builds_on_downstream_by_year AS\n"
                    + DOWNSTREAM_SQL.read_text().strip().rstrip(";"))
    finally:
        con.unregister("_model_bases")
    n = con.execute("SELECT count(*) FROM fct_builds_on_downstream_by_year").fetchall()[0][0]
    ctx.log.info("fct_builds_on_downstream_by_year: %d (root, year) rows", n)


__all__ = ["build_mentions", "build_builds_on_downstream", "result_families", "LEADERBOARD_SCHEMA"]
