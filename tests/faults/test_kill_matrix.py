"""Items 4 + 9 of issue 13: the kill matrix (≥ 30 SIGKILLs across ingest, build and publish) loses 0 records."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import signal
import subprocess
import sys

import pytest

import kill_matrix as km
from pipeline.sample.oai_server import OaiServer
from pipeline.warehouse import builder
from test_arxiv_harvest import expected_ids, make_corpus
from test_isolation import PUBLISH_POINTS, publish_kill
from pipeline.sources.pwc import ingest_dumps
from test_pwc_parser import ATTENTION, write_all


@pytest.mark.slow
def test_kill_matrix(settings, tmp_path):
    results: dict[str, dict] = {}
    corpus = tmp_path / "corpus.jsonl.gz"
    records = make_corpus(corpus)
    want = expected_ids(records, ["cs", "stat"])
    with OaiServer(corpus, page_size=6) as server:
        for sets in (["cs"], ["cs", "stat"]):
            for point in km.COMMIT_POINTS:
                home = tmp_path / f"arxiv-{'-'.join(sets)}-{point}"
                s = dataclasses.replace(settings, home=home)
                results[f"ingest arxiv --set {','.join(sets)} @ {point}"] = km.arxiv_case(s, server.url, point, sets, want)

    for point in km.COMMIT_POINTS:
        home = tmp_path / f"pwc-{point}"
        dumps = write_all(home / "dumps")
        path = dumps / "papers-with-abstracts.json.gz"

        def bump(path=path):
            items = json.loads(gzip.decompress(path.read_bytes()))
            items.append(dict(ATTENTION, paper_url="https://paperswithcode.com/paper/kill-matrix-extra"))
            path.write_bytes(gzip.compress(json.dumps(items).encode(), mtime=0))

        # What the new version holds when loaded cleanly (in a scratch home), then back to v1.
        original = path.read_bytes()
        bump()
        scratch = dataclasses.replace(settings, home=tmp_path / f"pwc-clean-{point}", pwc_dumps=str(dumps))
        ingest_dumps(scratch, only="papers-with-abstracts")
        expected = km._ids(scratch.lake, "pwc/papers", "paper_url")
        path.write_bytes(original)
        s = dataclasses.replace(settings, home=home)
        results[f"ingest pwc @ {point}"] = km.pwc_case(s, dumps, point, expected, bump)

    for point in PUBLISH_POINTS:
        s = dataclasses.replace(settings, home=tmp_path / f"publish-{point}")
        out = publish_kill(s, point)
        ok = out["final"] == (2, "build 2") and out["previous_ok"]
        results[f"publish @ {point}"] = {"killed": out["killed"], "no_gap": out["in_step_after_kill"] or ok,
                                         "lost": 0 if ok else 1, "survived": out["killed"] and ok}

    # A build killed just before its candidate is closed: the next build cleans up and succeeds.
    s = dataclasses.replace(settings, home=tmp_path / "build")
    code = ("from pipeline.config import load_settings\nfrom pipeline.warehouse import builder\n"
            f"builder.build(load_settings(env={{}}, home={str(s.home)!r}), 'killed', select=())\n")
    rc = subprocess.run([sys.executable, "-c", code], cwd=km.REPO, timeout=120,
                        env={**os.environ, "MLGRAPH_FAULT_KILL": "build.before_close"}).returncode
    orphan = builder.candidates_dir(s) / "killed.building.duckdb"
    had_orphan = orphan.exists()
    again = builder.build(s, "again", select=())
    results["build @ build.before_close"] = {"killed": rc == -signal.SIGKILL, "no_gap": True, "lost": 0,
                                             "survived": rc == -signal.SIGKILL and had_orphan and not orphan.exists()
                                             and again.exists()}

    report = tmp_path / "kill-matrix.json"
    km.write_report(report, results)
    summary = km.summarise(results)
    print("kill matrix:", summary)
    failed = {k: v for k, v in results.items() if not v["survived"]}
    assert summary["tried"] >= 30
    assert failed == {} and summary["lost"] == 0
