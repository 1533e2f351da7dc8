"""Warehouse steps of the classification: taxonomy tables and text families of every ML paper.

Both are Python steps declared in the YAML of the tables they make (``step:``/``inputs:``), so
the runner orders them; both take ``(con, ctx)``; ctx has .settings, .exports_dir, .run_id, .log.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pyarrow as pa

from pipeline.classify.taxonomy import FAMILIES, Taxonomy, load_taxonomy_file
from pipeline.classify.text import TextClassifier, get_classifier

BATCH_ROWS = 20_000
# Below this many ML papers one process is faster than starting a pool.
PARALLEL_MIN_ROWS = 100_000
MAX_WORKERS = 4
TEXT_FAMILIES_SCHEMA = pa.schema([
    ("paper_id", pa.string()),
    ("primary_family", pa.string()),
    ("families", pa.list_(pa.string())),
    ("confidence", pa.float64()),
    ("provenance", pa.string()),
])


def method_families(name: str, full_name: str | None, collections, taxonomy: Taxonomy,
                    classifier: TextClassifier) -> tuple[list[str], str | None]:
    """(families, source) of one PwC method; ([], None) for generic methods.

    Order of evidence: an explicit override in the taxonomy; methods whose collections are all
    generic have no family; the method's own name (e.g. 'Vision Transformer' listed under the mixed
    'Image Models'); the families of its mapped collections, most frequent first.
    """
    override = taxonomy.method_overrides.get(name)
    if override:
        return [override], "override"
    kinds = [taxonomy.collection_kind(c) for c in collections]
    if kinds and all(k == "ignored" for k in kinds):
        return [], None
    label = name if not full_name or full_name == name else f"{name} ({full_name})"
    verdict = classifier.classify(label, None)
    if verdict.primary_family != "other":
        return list(verdict.families), "name"
    counts = Counter(taxonomy.collections[c] for c in collections if c in taxonomy.collections)
    if counts:
        order = {f: i for i, f in enumerate(FAMILIES)}
        return sorted(counts, key=lambda f: (-counts[f], order[f])), "collection"
    return [], None


def load_taxonomy(con, ctx) -> None:
    """Create dim_families, int_collection_families and int_method_families from the taxonomy file."""
    taxonomy = load_taxonomy_file()
    classifier = get_classifier()
    fam = pa.table({
        "family": [f.key for f in taxonomy.families],
        "label": [f.label for f in taxonomy.families],
        "description": [f.description for f in taxonomy.families],
        "taxonomy_version": [taxonomy.version] * len(taxonomy.families),
    })
    coll = pa.table({"collection": list(taxonomy.collections), "family": list(taxonomy.collections.values())})
    methods = con.execute(
        """
        SELECT m.name, any_value(m.full_name) AS full_name,
               coalesce(list(DISTINCT c.collection) FILTER (WHERE c.collection IS NOT NULL), []) AS collections
        FROM stg_pwc__methods m
        LEFT JOIN stg_pwc__method_collections c ON c.method_name = m.name
        GROUP BY m.name ORDER BY m.name
        """).fetchall()
    rows = {"method_name": [], "family": [], "is_primary": [], "source": []}
    unknown: set[str] = set()
    for name, full_name, collections in methods:
        unknown.update(c for c in collections if taxonomy.collection_kind(c) is None)
        families, source = method_families(name, full_name, collections, taxonomy, classifier)
        for i, family in enumerate(families):
            rows["method_name"].append(name)
            rows["family"].append(family)
            rows["is_primary"].append(i == 0)
            rows["source"].append(source)
    if unknown:
        ctx.log.warning("taxonomy %s: %d PwC collections not in the taxonomy (families from method names "
                        "only): %s", taxonomy.version, len(unknown), ", ".join(sorted(unknown)[:20]))
    con.register("_taxonomy_families", fam)
    con.register("_taxonomy_collections", coll)
    con.register("_taxonomy_methods", pa.table(rows, schema=pa.schema([
        ("method_name", pa.string()), ("family", pa.string()), ("is_primary", pa.bool_()), ("source", pa.string())])))
    try:
        con.execute("CREATE OR REPLACE TABLE dim_families AS SELECT * FROM _taxonomy_families")
        con.execute("CREATE OR REPLACE TABLE int_collection_families AS SELECT * FROM _taxonomy_collections "
                    "ORDER BY collection")
        con.execute("CREATE OR REPLACE TABLE int_method_families AS SELECT * FROM _taxonomy_methods "
                    "ORDER BY method_name, NOT is_primary, family")
    finally:
        for name in ("_taxonomy_families", "_taxonomy_collections", "_taxonomy_methods"):
            con.unregister(name)
    n_methods = con.execute("SELECT count(DISTINCT method_name) FROM int_method_families").fetchone()[0]
    ctx.log.info("taxonomy %s: %d families, %d mapped collections, %d of %d methods with a family",
                 taxonomy.version, len(taxonomy.families), len(taxonomy.collections), n_methods, len(methods))


def classify_texts(titles: list, abstracts: list) -> tuple[list, list, list]:
    """(primary families, family lists, confidences) for parallel lists of titles and abstracts."""
    classifier = get_classifier()
    primaries, families, confidences = [], [], []
    for title, abstract in zip(titles, abstracts):
        verdict = classifier.classify(title, abstract)
        primaries.append(verdict.primary_family)
        families.append(list(verdict.families))
        confidences.append(verdict.confidence)
    return primaries, families, confidences


def _to_batch(ids: pa.Array, primaries, families, confidences) -> pa.RecordBatch:
    return pa.record_batch([ids.cast(pa.string()), pa.array(primaries, pa.string()),
                            pa.array(families, pa.list_(pa.string())), pa.array(confidences, pa.float64()),
                            pa.array(["text"] * len(primaries), pa.string())], schema=TEXT_FAMILIES_SCHEMA)


def classify_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Classify one Arrow batch of (paper_id, title, abstract) into the int_paper_text_families schema."""
    return _to_batch(batch.column(0), *classify_texts(batch.column(1).to_pylist(), batch.column(2).to_pylist()))


def _classified_batches(reader, workers: int, classify=None, columns: tuple[int, ...] = (1, 2)):
    """Yield (input batch, classify(batch)) in input order, on ``workers`` processes.

    ``classify`` is a module-level function (picklable, for the pool) of the batch's ``columns`` as
    Python lists; by default :func:`classify_texts` of title and abstract.
    """
    classify = classify or classify_texts

    def args(batch):
        return [batch.column(i).to_pylist() for i in columns]

    if workers <= 1:
        for batch in reader:
            if batch.num_rows:
                yield batch, classify(*args(batch))
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
            pending.append((batch, pool.submit(classify, *args(batch))))
            if len(pending) > 2 * workers:  # bounded look-ahead keeps memory at a few batches
                batch, fut = pending.popleft()
                yield batch, fut.result()
        while pending:
            batch, fut = pending.popleft()
            yield batch, fut.result()


def _cache_for(ctx):
    """The classification cache of this MLGRAPH_HOME (None without settings, e.g. in unit steps)."""
    settings = getattr(ctx, "settings", None)
    if settings is None:
        return None
    from pipeline.classify.cache import ClassifyCache

    return ClassifyCache(Path(settings.home) / "cache" / "classify", logger=getattr(ctx, "log", None))


def classify_papers(con, ctx) -> None:
    """Create int_paper_text_families: the text classifier on every ML paper of int_papers.

    Verdicts of the classification cache (pipeline.classify.cache) are reused for papers whose
    text is unchanged since a build with the same classifier version; the rest is streamed from
    int_papers in Arrow batches, classified (by a pool of processes, one per core, at most
    MAX_WORKERS, when there are many), appended through a second cursor and written to a new cache
    segment. Memory is bounded by a few batches, not by the corpus.
    """
    from pipeline.classify.cache import SEGMENT_SCHEMA, load_cache_sql, text_hash_sql

    n_ml = con.execute("SELECT count(*) FROM int_papers WHERE is_ml").fetchone()[0]
    con.execute("CREATE OR REPLACE TABLE int_paper_text_families (paper_id VARCHAR, primary_family VARCHAR, "
                "families VARCHAR[], confidence DOUBLE, provenance VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE _text_families_cached AS "
                "SELECT * FROM int_paper_text_families LIMIT 0")
    text_hash = text_hash_sql(con)
    cache = _cache_for(ctx)
    segments = cache.segments() if cache is not None else []
    if segments:
        con.execute("INSERT INTO _text_families_cached " + load_cache_sql("classify_cache_hits", text_hash),
                    [segments])
    elif cache is not None and cache.other_versions():
        ctx.log.warning("classification cache: classifier %s has no cached verdicts (cached: %s); reclassifying "
                        "all %d ML papers", cache.version, ", ".join(cache.other_versions()[-3:]), n_ml)
    hits = con.execute("SELECT count(*) FROM _text_families_cached").fetchall()[0][0]
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if n_ml - hits >= PARALLEL_MIN_ROWS else 1
    reader = con.sql(load_cache_sql("classify_cache_misses", text_hash)).to_arrow_reader(BATCH_ROWS)
    writer = con.cursor()
    segment = cache.writer() if cache is not None else None
    total = 0
    try:
        for batch, (primaries, families, confidences) in _classified_batches(reader, workers):
            out = _to_batch(batch.column(0), primaries, families, confidences)
            writer.register("_text_families_batch", out)
            writer.execute("INSERT INTO int_paper_text_families SELECT * FROM _text_families_batch")
            writer.unregister("_text_families_batch")
            if segment is not None:
                segment.write(pa.Table.from_arrays(
                    [out.column(0), batch.column(3).cast(pa.string()), out.column(1), out.column(2), out.column(3)],
                    schema=SEGMENT_SCHEMA))
            total += out.num_rows
    except BaseException:
        if segment is not None:
            segment.abort()
        raise
    finally:
        writer.close()
    if segment is not None:
        cache.finish(segment)
    # one order whatever came from the cache, so a rebuild gives the identical table
    con.execute("CREATE OR REPLACE TABLE int_paper_text_families AS SELECT * FROM int_paper_text_families "
                "UNION ALL SELECT * FROM _text_families_cached ORDER BY paper_id")
    con.execute("DROP TABLE _text_families_cached")
    others = con.execute("SELECT count(*) FROM int_paper_text_families WHERE primary_family = 'other'").fetchone()[0]
    ctx.log.info("text classifier: %d ML papers, %d from the classification cache, %d classified (%d process(es)), "
                 "%d as 'other'", n_ml, hits, total, workers, others)


__all__ = ["load_taxonomy", "classify_domains", "classify_papers", "classify_batch", "classify_texts", "method_families", "FAMILIES"]


def text_domain_rows(titles: list, abstracts: list, categories: list, primaries: list) -> tuple[list, list, list, list]:
    """(row numbers, domains, scores, overrides) of the rows whose text decides or may override the domain.

    A paper of a general primary category takes the domain its text names; one that cross-lists a
    category of a cross-list domain takes that domain only when its text names it.
    """
    from pipeline.classify.domain import GENERAL, category_domain, get_domain_classifier

    rules = get_domain_classifier()
    rows, domains, scores, overrides = [], [], [], []
    # a batch holds a few hundred distinct category lists: each is mapped to domains once
    general_of: dict = {}
    listed_of: dict = {}
    for i, (title, abstract, cats, category) in enumerate(zip(titles, abstracts, categories, primaries)):
        general = general_of.get(category)
        if general is None:
            general = general_of[category] = category_domain(category) == GENERAL
        key = tuple(cats) if cats else ()
        listed = listed_of.get(key)
        if listed is None:
            listed = listed_of[key] = rules.cross_listed(cats or ())
        if not general and not listed:
            continue
        domain, score = rules.text_domain(title, abstract)
        if not general and domain not in listed:
            continue
        rows.append(i)
        domains.append(domain)
        scores.append(score)
        overrides.append(domain in listed)
    return rows, domains, scores, overrides


def _domain_candidates_where(con) -> str:
    """WHERE clause over stg_arxiv__papers of the rows text_domain_rows can keep: a general primary
    category, or a secondary category of a cross-list domain (a superset: the function applies the
    exact rule)."""
    from pipeline.classify.domain import GENERAL, category_domain, get_domain_classifier
    from pipeline.warehouse.runner import _sql_str

    rules = get_domain_classifier()
    seen = [r[0] for r in con.execute("SELECT DISTINCT c FROM (SELECT unnest(categories) AS c "
                                      "FROM stg_arxiv__papers) WHERE c IS NOT NULL").fetchall()]
    primaries = [r[0] for r in con.execute("SELECT DISTINCT primary_category FROM stg_arxiv__papers "
                                           "WHERE primary_category IS NOT NULL").fetchall()]
    general = [c for c in primaries if category_domain(c) == GENERAL]
    cross = [c for c in seen if category_domain(c) in rules.cross_list_domains]

    def values(items):
        return "[" + ", ".join(_sql_str(c) for c in sorted(items)) + "]::VARCHAR[]"

    return (f"primary_category IS NULL OR list_contains({values(general)}, primary_category) "
            f"OR list_has_any(categories[2:], {values(cross)})")


def _domain_cache_for(ctx):
    """The text-domain cache of this MLGRAPH_HOME (None without settings, e.g. in unit steps)."""
    settings = getattr(ctx, "settings", None)
    if settings is None:
        return None
    from pipeline.classify.cache import DOMAIN_SEGMENT_SCHEMA, ClassifyCache, domain_version

    return ClassifyCache(Path(settings.home) / "cache" / "domains", domain_version(), DOMAIN_SEGMENT_SCHEMA,
                         logger=getattr(ctx, "log", None))


def classify_domains(con, ctx) -> None:
    """Create int_paper_text_domains: the domain the text names, for arXiv papers of a general category.

    Runs before the intermediate layer so that int_paper_domains.sql can fall back on it (after the
    specific primary category and the PwC task areas). Only papers whose primary category maps to
    general_ml, or that cross-list a category of a cross-list domain, are read (selected in SQL, so
    the others' abstracts never reach Python). Verdicts are cached like the families' (keyed on paper
    and text hash, per version of the domain rules), so a rebuild or a night reads only new and
    changed papers; many are read by the families' pool of processes.
    """
    from pipeline.classify.cache import DOMAIN_SEGMENT_SCHEMA, text_hash_sql

    con.execute("CREATE OR REPLACE TABLE int_paper_text_domains (paper_id VARCHAR, text_domain VARCHAR, "
                "text_domain_score DOUBLE, overrides_category BOOLEAN)")
    where = _domain_candidates_where(con)
    text_hash = text_hash_sql(con, "stg_arxiv__papers")
    con.execute("CREATE OR REPLACE TEMP TABLE _text_domains_cached (paper_id VARCHAR, kept BOOLEAN, "
                "text_domain VARCHAR, text_domain_score DOUBLE, overrides_category BOOLEAN)")
    cache = _domain_cache_for(ctx)
    segments = cache.segments() if cache is not None else []
    if segments:
        con.execute(f"""
            INSERT INTO _text_domains_cached
            SELECT p.paper_id, c.kept, c.text_domain, c.text_domain_score, c.overrides_category
            FROM (SELECT paper_id, {text_hash} AS text_hash FROM stg_arxiv__papers WHERE {where}) AS p
            INNER JOIN (SELECT paper_id, text_hash, any_value(kept) AS kept, any_value(text_domain) AS text_domain,
                               any_value(text_domain_score) AS text_domain_score,
                               any_value(overrides_category) AS overrides_category
                        FROM read_parquet($1) GROUP BY paper_id, text_hash) AS c
                ON c.paper_id = p.paper_id AND c.text_hash = p.text_hash""", [segments])
    hits = con.execute("SELECT count(*) FROM _text_domains_cached").fetchall()[0][0]
    select = (f"SELECT paper_id, title, abstract, categories, primary_category, {text_hash} AS text_hash "
              f"FROM stg_arxiv__papers WHERE ({where}) AND paper_id NOT IN (SELECT paper_id FROM _text_domains_cached)")
    n_rows = con.execute(f"SELECT count(*) FROM ({select})").fetchall()[0][0]
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if n_rows >= PARALLEL_MIN_ROWS else 1
    reader = con.sql(select).to_arrow_reader(BATCH_ROWS)
    writer = con.cursor()
    segment = cache.writer() if cache is not None else None
    total = named = 0
    try:
        for batch, (rows, domains, scores, overrides) in _classified_batches(reader, workers, text_domain_rows,
                                                                             columns=(1, 2, 3, 4)):
            verdicts = pa.table({
                "paper_id": batch.column(0).take(pa.array(rows, pa.int64())).cast(pa.string()),
                "text_domain": pa.array(domains, pa.string()),
                "text_domain_score": pa.array(scores, pa.float64()),
                "overrides_category": pa.array(overrides, pa.bool_())})
            if segment is not None:
                # every row read is cached, also those whose text does not decide (kept = false)
                n = batch.num_rows
                kept = [False] * n
                full_domain, full_score, full_over = [None] * n, [None] * n, [None] * n
                for i, d, sc, o in zip(rows, domains, scores, overrides):
                    kept[i], full_domain[i], full_score[i], full_over[i] = True, d, sc, o
                segment.write(pa.Table.from_arrays(
                    [batch.column(0).cast(pa.string()), batch.column(5).cast(pa.string()), pa.array(kept, pa.bool_()),
                     pa.array(full_domain, pa.string()), pa.array(full_score, pa.float64()),
                     pa.array(full_over, pa.bool_())], schema=DOMAIN_SEGMENT_SCHEMA))
            if not rows:
                continue
            named += sum(d is not None for d in domains)
            writer.register("_text_domains_batch", verdicts)
            writer.execute("INSERT INTO int_paper_text_domains SELECT * FROM _text_domains_batch")
            writer.unregister("_text_domains_batch")
            total += len(rows)
    except BaseException:
        if segment is not None:
            segment.abort()
        raise
    finally:
        writer.close()
    if segment is not None:
        cache.finish(segment)
    # one order whatever came from the cache, so a rebuild gives the identical table
    con.execute("CREATE OR REPLACE TABLE int_paper_text_domains AS SELECT * FROM int_paper_text_domains "
                "UNION ALL SELECT paper_id, text_domain, text_domain_score, overrides_category "
                "FROM _text_domains_cached WHERE kept ORDER BY paper_id")
    cached_kept, cached_named = con.execute("SELECT count(*) FILTER (WHERE kept), count(*) FILTER (WHERE kept AND "
                                            "text_domain IS NOT NULL) FROM _text_domains_cached").fetchall()[0]
    con.execute("DROP TABLE _text_domains_cached")
    ctx.log.info("text domains: %d papers of a general primary category or a cross-list, %d from the domain "
                 "cache, %d read (%d process(es)); %d decided by their text, %d name a domain",
                 hits + n_rows, hits, n_rows, workers, total + cached_kept, named + cached_named)
