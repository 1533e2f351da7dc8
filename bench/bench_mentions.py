"""Benchmark and real-data report of the named-model extractor (pipeline.classify.mentions).

    .venv/bin/python bench/bench_mentions.py

On the real 2025 cs listings (../shared/data/real-scale/arxiv-cs-2025/): papers/s single-process
(titles + abstracts already in memory, so only extraction is timed; wall and CPU time), share of papers with >= 1
kept mention, the top 20 models and the relations. On the real PwC evaluation tables
(../shared/data/real/pwc-sota-extractor/): share of result rows with a family before (the paper
only, which a 2025 lake does not hold) and after (model_name, then paper_title). Prints JSON.
"""

from __future__ import annotations

import collections
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from pipeline.classify.mentions import get_extractor  # noqa: E402
from pipeline.classify.mentions_warehouse import result_families  # noqa: E402
from pipeline.classify.text import get_classifier  # noqa: E402
from pipeline.sources.pwc.parser import parse_dump  # noqa: E402

LISTINGS = REPO.parent / "shared" / "data" / "real-scale" / "arxiv-cs-2025" / "arxiv-metadata-oai-snapshot.cs-2025.jsonl.gz"
SOTA = REPO.parent / "shared" / "data" / "real" / "pwc-sota-extractor"


def read_listings(path: Path = LISTINGS, ids: list[str] | None = None) -> list[tuple]:
    """(id, title, abstract) of the real listings, optionally only the given ids."""
    con = duckdb.connect()
    where = "" if ids is None else "WHERE id IN (SELECT unnest(?))"
    sql = (f"SELECT id, title, abstract FROM read_json(?, format = 'newline_delimited', "
           f"columns = {{id: 'VARCHAR', title: 'VARCHAR', abstract: 'VARCHAR'}}) {where} ORDER BY id")
    return con.execute(sql, [str(path)] + ([ids] if ids is not None else [])).fetchall()


def leaderboard_rows(folder: Path = SOTA) -> list[dict]:
    """One dict per distinct result row (task, dataset, row_index) of every real evaluation-tables file."""
    rows: dict[tuple, dict] = {}
    for path in sorted(folder.glob("*.json")):
        for key, table in parse_dump("evaluation-tables", path):
            if key != "pwc/eval_results":
                continue
            for r in table.select(["task", "dataset", "row_index", "model_name", "paper_title"]).to_pylist():
                rows.setdefault((path.name, r["task"], r["dataset"], r["row_index"]), r)
    return list(rows.values())


def leaderboard_report(rows: list[dict]) -> dict:
    """Share of result rows with a family from their own text, and which evidence decided."""
    extractor, classifier = get_extractor(), get_classifier()
    sources = collections.Counter()
    for r in rows:
        _, by_name, by_title = result_families(r["model_name"], r["paper_title"], extractor, classifier)
        sources["model_name" if by_name else "paper_title" if by_title else "none"] += 1
    n = len(rows)
    return {"result_rows": n, "with_family_before": 0.0,
            "with_family_after": round((n - sources["none"]) / n, 4) if n else None,
            "family_source": dict(sources)}


def main() -> None:
    if not LISTINGS.exists():
        sys.exit(f"real listings not found at {LISTINGS}")
    rows = read_listings()
    extractor = get_extractor()
    started, cpu_started = time.perf_counter(), time.process_time()
    found = [extractor.extract(title, abstract) for _, title, abstract in rows]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    models = collections.Counter(m.model_key for ms in found for m in ms)
    report = {
        "papers": len(rows),
        "papers_per_s": round(len(rows) / elapsed),
        # On a shared machine wall time undercounts; CPU time is the per-core rate.
        "papers_per_cpu_s": round(len(rows) / cpu),
        "papers_with_mention": sum(1 for ms in found if ms),
        "share_with_mention": round(sum(1 for ms in found if ms) / len(rows), 4),
        "mentions": sum(models.values()),
        "relations": dict(collections.Counter(m.relation for ms in found for m in ms)),
        "top_models": models.most_common(20),
    }
    if SOTA.is_dir():
        report["leaderboard"] = leaderboard_report(leaderboard_rows())
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
