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
    """Yield (input batch, its mentions) in input order, using ``workers`` processes when more than one."""
    if workers <= 1:
        for batch in reader:
            if batch.num_rows:
                yield batch, extract_batch(batch, extractor)
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
            pending.append((batch, pool.submit(_extract_lists, *(batch.column(i).to_pylist() for i in range(3)))))
            if len(pending) > 2 * workers:  # bounded look-ahead keeps memory at a few batches
                batch, fut = pending.popleft()
                yield batch, fut.result()
        while pending:
            batch, fut = pending.popleft()
            yield batch, fut.result()


def candidates_sql(con) -> str:
    """The prefilter's SQL (ml_paper_mention_candidates.sql) with int_papers' text-hash expression filled in."""
    from pipeline.classify.cache import text_hash_sql

    return CANDIDATES_SQL.read_text().replace("{{ text_hash }}", text_hash_sql(con))


def _mentions_cache_for(ctx):
    """The mentions cache of this MLGRAPH_HOME (None without settings, e.g. in unit steps)."""
    settings = getattr(ctx, "settings", None)
    if settings is None:
        return None
    from pipeline.classify.cache import MENTION_SEGMENT_SCHEMA, ClassifyCache, mentions_version

    return ClassifyCache(Path(settings.home) / "cache" / "mentions", mentions_version(), MENTION_SEGMENT_SCHEMA,
                         logger=getattr(ctx, "log", None))


def _cache_rows(batch: pa.RecordBatch, out: pa.RecordBatch) -> pa.Table:
    """One cache row per paper of ``batch``: its mentions in ``out`` as a list (empty when none)."""
    from pipeline.classify.cache import MENTION_SEGMENT_SCHEMA, MENTION_STRUCT

    by_paper: dict[str, list] = {}
    fields = [f.name for f in MENTION_STRUCT]
    for row in out.to_pylist():
        by_paper.setdefault(row["paper_id"], []).append({k: row[k] for k in fields})
    ids = batch.column(0).to_pylist()
    return pa.Table.from_arrays([pa.array(ids, pa.string()), batch.column(3).cast(pa.string()),
                                 pa.array([by_paper.get(i, []) for i in ids], pa.list_(MENTION_STRUCT))],
                                schema=MENTION_SEGMENT_SCHEMA)


def build_mentions(con, ctx) -> None:
    """Create int_paper_model_mentions and int_leaderboard_model_families.

    Only the papers the RE2 prefilter flags are read by Python, and of those only the ones the
    mentions cache (keyed on paper and text hash, per version of the alias table and extractor)
    does not hold, so a rebuild or a night reads only new and changed papers.
    """
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
    con.execute("CREATE OR REPLACE TEMP TABLE _mention_candidates AS " + candidates_sql(con))
    con.execute("CREATE OR REPLACE TEMP TABLE _mentions_cached (paper_id VARCHAR, mentions "
                "STRUCT(model_key VARCHAR, mention_text VARCHAR, evidence_span VARCHAR, relation VARCHAR, "
                "cue VARCHAR, confidence DOUBLE, in_title BOOLEAN)[])")
    cache = _mentions_cache_for(ctx)
    segments = cache.segments() if cache is not None else []
    if segments:
        con.execute("""
            INSERT INTO _mentions_cached
            SELECT c.paper_id, s.mentions
            FROM _mention_candidates AS c
            INNER JOIN (SELECT paper_id, text_hash, any_value(mentions) AS mentions FROM read_parquet($1)
                        GROUP BY paper_id, text_hash) AS s
                ON s.paper_id = c.paper_id AND s.text_hash = c.text_hash""", [segments])
    hits = con.execute("SELECT count(*) FROM _mentions_cached").fetchall()[0][0]
    n_read = con.execute("SELECT count(*) FROM _mention_candidates").fetchall()[0][0] - hits
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if n_read >= PARALLEL_MIN_ROWS else 1
    reader = con.sql("SELECT paper_id, title, abstract, text_hash FROM _mention_candidates "
                     "WHERE paper_id NOT IN (SELECT paper_id FROM _mentions_cached) ORDER BY paper_id"
                     ).to_arrow_reader(BATCH_ROWS)
    writer = con.cursor()
    segment = cache.writer() if cache is not None else None
    papers = mentions = 0
    try:
        for batch, out in _mention_batches(reader, workers, extractor):
            papers += batch.num_rows
            mentions += out.num_rows
            if segment is not None:
                segment.write(_cache_rows(batch, out))
            writer.register("_mentions_batch", out)
            writer.execute("INSERT INTO int_paper_model_mentions SELECT * FROM _mentions_batch")
            writer.unregister("_mentions_batch")
    except BaseException:
        if segment is not None:
            segment.abort()
        raise
    finally:
        writer.close()
    if segment is not None:
        cache.finish(segment)
    # one order whatever came from the cache (one row per paper and model), so a rebuild is identical
    con.execute("""
        CREATE OR REPLACE TABLE int_paper_model_mentions AS
        SELECT * FROM int_paper_model_mentions
        UNION ALL
        SELECT paper_id, m.model_key, m.mention_text, m.evidence_span, m.relation, m.cue, m.confidence, m.in_title
        FROM (SELECT paper_id, unnest(mentions) AS m FROM _mentions_cached)
        ORDER BY paper_id, model_key""")
    cached_mentions = con.execute("SELECT coalesce(sum(len(mentions)), 0) FROM _mentions_cached").fetchall()[0][0]
    con.execute("DROP TABLE _mentions_cached")
    con.execute("DROP TABLE _mention_candidates")
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
    ctx.log.info("named models: %d mentions kept in %d ML papers; after the RE2 prefilter %d from the mentions "
                 "cache, %d read by Python (%d process(es), %.0f ML papers/s); %d leaderboard model names",
                 mentions + cached_mentions, n_ml, hits, papers, workers, n_ml / elapsed if elapsed > 0 else 0.0,
                 len(rows))


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
