"""The classification cache: a rebuild classifies only new or changed papers and gives the same table."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

import pipeline.classify.warehouse as wh

PAPERS = [
    ("2101.00001", "BERT for X", "We fine-tune BERT.", ["cs.CL"]),
    ("2101.00002", "A theorem", "We prove it.", ["cs.LG"]),
    ("2101.00003", "ResNets for Y", "We train a ResNet-50.", ["cs.CV"]),
    ("2101.00004", "LSTM tagging", "A BiLSTM tagger.", ["cs.CL"]),
    ("2101.00005", None, None, ["cs.LG"]),
    ("2101.00006", "GCN for molecules", "A graph convolutional network.", ["cs.LG", "q-bio.BM"]),
]


def _papers(con, rows=PAPERS):
    con.execute("CREATE OR REPLACE TABLE int_papers (paper_id VARCHAR, title VARCHAR, abstract VARCHAR, "
                "categories VARCHAR[], is_ml BOOLEAN)")
    con.executemany("INSERT INTO int_papers VALUES (?, ?, ?, ?, true)", [list(r) for r in rows])


def _build(con, home: Path, caplog) -> tuple[list, int, int]:
    """Run the step; (table rows, verdicts from the cache, papers classified) from its log line."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="test.classify"):
        wh.classify_papers(con, SimpleNamespace(settings=SimpleNamespace(home=home), exports_dir=home,
                                                run_id="t", log=logging.getLogger("test.classify")))
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("text classifier:"))
    hits, done = map(int, re.search(r"(\d+) from the classification cache, (\d+) classified", line).groups())
    return con.execute("SELECT * FROM int_paper_text_families ORDER BY paper_id").fetchall(), hits, done


def _segments(home: Path) -> list[Path]:
    return sorted((home / "cache" / "classify").rglob("*.parquet"))


def test_second_build_classifies_nothing_and_gives_the_same_table(tmp_path, caplog):
    con = duckdb.connect()
    _papers(con)
    first, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (0, 6)
    assert [r[1] for r in first] == ["transformer", "other", "cnn", "rnn", "other", "gnn"]
    assert len(_segments(tmp_path)) == 1
    second, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (6, 0)
    assert second == first
    assert len(_segments(tmp_path)) == 1   # nothing new to keep: no new segment


def test_changed_abstract_or_categories_is_reclassified(tmp_path, caplog):
    con = duckdb.connect()
    _papers(con)
    _build(con, tmp_path, caplog)
    changed = [("2101.00003", "ResNets for Y", "We fine-tune a ViT instead.", ["cs.CV"])] + \
              [r for r in PAPERS if r[0] not in ("2101.00003", "2101.00004")] + \
              [("2101.00004", "LSTM tagging", "A BiLSTM tagger.", ["cs.CL", "cs.LG"]),
               ("2101.00007", "Mamba", "We propose a selective state space model.", ["cs.LG"])]
    _papers(con, changed)
    rows, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (4, 3)    # the new abstract, the new category list, the new paper
    got = {r[0]: r[1] for r in rows}
    assert got["2101.00003"] == "transformer" and got["2101.00007"] == "ssm" and len(got) == 7
    # the cache serves the same verdict a fresh build gives
    fresh = duckdb.connect()
    _papers(fresh, changed)
    assert _build(fresh, tmp_path / "fresh", caplog)[0] == rows


def test_taxonomy_change_reclassifies_all(tmp_path, caplog, monkeypatch):
    import pipeline.classify.cache as cache

    con = duckdb.connect()
    _papers(con)
    first, _, _ = _build(con, tmp_path, caplog)
    edited = tmp_path / "taxonomy.toml"
    edited.write_text(cache.DEFAULT_PATH.read_text() + "\n# a new cue would go here\n")
    monkeypatch.setattr(cache, "DEFAULT_PATH", edited)
    rows, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (0, 6) and rows == first
    assert any("reclassifying all 6 ML papers" in r.getMessage() for r in caplog.records)
    assert len({p.parent for p in _segments(tmp_path)}) == 1   # the old version's directory is removed


def test_failed_build_leaves_no_segment_and_the_next_build_is_right(tmp_path, caplog, monkeypatch):
    con = duckdb.connect()
    _papers(con)
    monkeypatch.setattr(wh, "BATCH_ROWS", 2)
    real, calls = wh.classify_texts, []

    def failing(titles, abstracts):
        calls.append(len(titles))
        if len(calls) == 2:
            raise RuntimeError("killed mid-build")
        return real(titles, abstracts)

    monkeypatch.setattr(wh, "classify_texts", failing)
    with pytest.raises(RuntimeError):
        _build(con, tmp_path, caplog)
    assert _segments(tmp_path) == [] and not list((tmp_path / "cache").rglob("*.tmp"))
    monkeypatch.setattr(wh, "classify_texts", real)
    rows, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (0, 6)
    assert [r[1] for r in rows] == ["transformer", "other", "cnn", "rnn", "other", "gnn"]


def test_many_segments_are_compacted_without_losing_verdicts(tmp_path, caplog, monkeypatch):
    import pipeline.classify.cache as cache

    monkeypatch.setattr(cache, "MAX_SEGMENTS", 2)
    con = duckdb.connect()
    for i in range(4):   # each build adds one new paper, so one new segment
        _papers(con, PAPERS[:3 + i])
        _build(con, tmp_path, caplog)
    assert len(_segments(tmp_path)) <= 2
    rows, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (6, 0)


DOMAIN_PAPERS = [
    ("a", "GNNs for node classification", "A graph neural network on citation graphs and social networks.",
     "cs.LG", ["cs.LG"]),
    ("b", "ViT", "Image classification with images.", "cs.CV", ["cs.CV"]),          # the category decides
    ("c", "On SGD", "We prove a rate.", "cs.AI", ["cs.AI"]),
    ("e", "Speech recognition for spoken dialects", "An ASR system for speech and speaker audio.", "cs.CL",
     ["cs.CL", "eess.AS"]),
    ("f", "Parsing sentences", "A dependency parser for text and sentences in documents.", "cs.CL",
     ["cs.CL", "cs.SD"]),                                                            # read, not kept
]


def _domains(con, home: Path, caplog) -> tuple[list, int, int]:
    """Run classify_domains; (table rows, verdicts from the cache, papers read) from its log line."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="test.domains"):
        wh.classify_domains(con, SimpleNamespace(settings=SimpleNamespace(home=home), log=logging.getLogger("test.domains")))
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("text domains:"))
    hits, read = map(int, re.search(r"(\d+) from the domain cache, (\d+) read", line).groups())
    return con.execute("SELECT * FROM int_paper_text_domains").fetchall(), hits, read


def test_text_domains_are_cached_like_families(tmp_path, caplog, monkeypatch):
    """A rebuild reads no text and gives the identical table (rows not kept are cached too); a changed
    abstract is read again; other domain rules start a new cache directory."""
    con = duckdb.connect()
    con.execute("CREATE TABLE stg_arxiv__papers (paper_id VARCHAR, title VARCHAR, abstract VARCHAR, "
                "primary_category VARCHAR, categories VARCHAR[])")
    con.executemany("INSERT INTO stg_arxiv__papers VALUES (?, ?, ?, ?, ?)", [list(r) for r in DOMAIN_PAPERS])
    first, hits, read = _domains(con, tmp_path, caplog)
    assert (hits, read) == (0, 4)   # b is never read: its category decides
    assert [r[:2] for r in first] == [("a", "graphs"), ("c", None), ("e", "speech_audio")]
    second, hits, read = _domains(con, tmp_path, caplog)
    assert (hits, read) == (4, 0) and second == first
    con.execute("UPDATE stg_arxiv__papers SET abstract = 'Speech and speaker audio for ASR.' WHERE paper_id = 'c'")
    third, hits, read = _domains(con, tmp_path, caplog)
    assert (hits, read) == (3, 1) and dict((r[0], r[1]) for r in third)["c"] == "speech_audio"
    import pipeline.classify.cache as cache

    monkeypatch.setattr(cache, "domain_version", lambda: "other-rules")
    _, hits, read = _domains(con, tmp_path, caplog)
    assert (hits, read) == (0, 4)
    assert {p.name for p in (tmp_path / "cache" / "domains").iterdir()} >= {"other-rules"}


def _mentions(con, home: Path, caplog) -> tuple[list, int, int]:
    """Run build_mentions; (table rows, papers from the cache, papers read) from its log line."""
    from pipeline.classify.mentions_warehouse import build_mentions

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="test.mentions"):
        build_mentions(con, SimpleNamespace(settings=SimpleNamespace(home=home), log=logging.getLogger("test.mentions")))
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("named models:"))
    hits, read = map(int, re.search(r"(\d+) from the mentions cache, (\d+) read by Python", line).groups())
    return con.execute("SELECT * FROM int_paper_model_mentions").fetchall(), hits, read


def test_mentions_are_cached_and_a_rebuild_is_identical(tmp_path, caplog):
    """Papers the prefilter flags are read once: a rebuild takes them (also those naming no model) from
    the cache with the identical table; a changed abstract is read again."""
    con = duckdb.connect()
    _papers(con, [
        ("2101.00001", "Fine-tuning Llama 2 for X", "We fine-tune Llama 2 and LLaMA-2-7B on our data.", ["cs.CL"]),
        ("2101.00002", "A theorem", "We prove it.", ["cs.LG"]),
        ("2101.00003", "Beyond BERT", "We compare with BERT as a baseline only.", ["cs.CL"]),
        ("2101.00004", "Qwen2-VL for charts", "Built on Qwen2-VL, our model reads charts.", ["cs.CV"]),
    ])
    con.execute("CREATE TABLE stg_pwc__eval_results (model_name VARCHAR, paper_title VARCHAR)")
    first, hits, read = _mentions(con, tmp_path, caplog)
    assert hits == 0 and read >= 3 and {r[0] for r in first} >= {"2101.00001", "2101.00004"}
    second, hits2, read2 = _mentions(con, tmp_path, caplog)
    assert (hits2, read2) == (read, 0) and second == first
    con.execute("UPDATE int_papers SET abstract = 'We fine-tune Mistral 7B.' WHERE paper_id = '2101.00001'")
    third, hits3, read3 = _mentions(con, tmp_path, caplog)
    assert (hits3, read3) == (read - 1, 1)
    assert {r[1] for r in third if r[0] == "2101.00001"} != {r[1] for r in first if r[0] == "2101.00001"}


# --- a damaged cache never fails a build -------------------------------------------------------------

def _damage(path: Path, how: str) -> Path:
    """Damage a segment the ways a disk or a person does; the damaged file's path."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    if how == "truncated":
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "flipped byte":      # footer intact: only the content hash shows it
        data = bytearray(path.read_bytes())
        data[len(data) // 3] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "other schema":      # a whole Parquet file, rightly named, of another layout
        path.unlink()
        tmp = path.with_name("x.tmp")
        pq.write_table(pa.table({"paper_id": ["2101.00001"], "verdict": ["cnn"]}), tmp)
        path = path.with_name(hashlib.sha256(tmp.read_bytes()).hexdigest() + ".parquet")
        tmp.rename(path)
    return path


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("how", ["truncated", "empty", "flipped byte", "other schema"])
def test_a_damaged_segment_is_set_aside_and_its_papers_reclassified(tmp_path, caplog, how):
    con = duckdb.connect()
    _papers(con, PAPERS[:3])
    _build(con, tmp_path, caplog)
    damaged = _segments(tmp_path)[0]          # the verdicts of the first three papers
    _papers(con)
    clean, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (3, 3) and len(_segments(tmp_path)) == 2
    original = damaged.read_bytes()
    damaged = _damage(damaged, how)
    rows, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (3, 3)             # the good segment still serves its papers
    assert rows == clean
    (warning,) = _warnings(caplog)
    assert str(damaged) in warning and "damaged" in warning
    aside = damaged.with_name(damaged.name + ".damaged")
    assert aside.exists() and aside.read_bytes() != original
    # the lost verdicts are written again: byte for byte the segment that was damaged, under its name
    assert len(_segments(tmp_path)) == 2 and [p.read_bytes() for p in _segments(tmp_path)].count(original) == 1
    rows, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (6, 0) and rows == clean and _warnings(caplog) == []


def test_damaged_domain_and_mention_segments_are_set_aside(tmp_path, caplog):
    """The two other caches read their segments through the same ClassifyCache, so they get the same check."""
    con = duckdb.connect()
    con.execute("CREATE TABLE stg_arxiv__papers (paper_id VARCHAR, title VARCHAR, abstract VARCHAR, "
                "primary_category VARCHAR, categories VARCHAR[])")
    con.executemany("INSERT INTO stg_arxiv__papers VALUES (?, ?, ?, ?, ?)", [list(r) for r in DOMAIN_PAPERS])
    clean, _, _ = _domains(con, tmp_path, caplog)
    (segment,) = (tmp_path / "cache" / "domains").rglob("*.parquet")
    _damage(segment, "empty")
    rows, hits, read = _domains(con, tmp_path, caplog)
    assert (hits, read) == (0, 4) and rows == clean
    (warning,) = _warnings(caplog)
    assert str(segment) in warning and segment.with_name(segment.name + ".damaged").exists()

    _papers(con, [("2101.00001", "Fine-tuning Llama 2 for X", "We fine-tune Llama 2 on our data.", ["cs.CL"]),
                  ("2101.00004", "Qwen2-VL for charts", "Built on Qwen2-VL, our model reads charts.", ["cs.CV"])])
    con.execute("CREATE TABLE stg_pwc__eval_results (model_name VARCHAR, paper_title VARCHAR)")
    clean, _, read = _mentions(con, tmp_path, caplog)
    (segment,) = (tmp_path / "cache" / "mentions").rglob("*.parquet")
    _damage(segment, "truncated")
    rows, hits, read2 = _mentions(con, tmp_path, caplog)
    assert (hits, read2) == (0, read) and rows == clean and len(_warnings(caplog)) == 1
    assert str(segment) in _warnings(caplog)[0]
    assert _mentions(con, tmp_path, caplog)[1:] == (read, 0)


# --- versions, pruning, compaction -------------------------------------------------------------------

# What a cached verdict depends on, per cache (and one file each must not depend on: the hash stays minimal).
VERSION_DEPENDENCIES = {
    "classifier_version": (["text.py", "taxonomy.py", "warehouse.py", "sql/classify_cache_misses.sql"],
                           ["domain.py", "mentions.py"]),
    "domain_version": (["domain.py", "text.py", "taxonomy.py", "warehouse.py"], ["mentions.py"]),
    "mentions_version": (["mentions.py", "mentions_warehouse.py", "sql/ml_paper_mention_candidates.sql"],
                         ["text.py", "domain.py"]),
}


@pytest.mark.parametrize("version", sorted(VERSION_DEPENDENCIES))
def test_the_version_changes_with_every_file_its_verdicts_depend_on(tmp_path, monkeypatch, version):
    import shutil

    import pipeline.classify.cache as cache

    package = tmp_path / "classify"
    shutil.copytree(Path(cache.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "__file__", str(package / "cache.py"))   # files_digest hashes its own package
    of = getattr(cache, version)
    base = of()
    depends, independent = VERSION_DEPENDENCIES[version]
    for name in depends + independent:
        path = package / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        changed = of() != base
        path.write_bytes(original)
        assert changed == (name in depends), \
            f"{version}: editing {name} {'changes' if changed else 'does not change'} it"
    assert of() == base


def test_a_new_version_removes_the_old_versions_directories(tmp_path, caplog, monkeypatch):
    import os
    import time

    import pipeline.classify.cache as cache

    con = duckdb.connect()
    _papers(con)
    first, _, _ = _build(con, tmp_path, caplog)
    old = _segments(tmp_path)[0].parent
    root = old.parent
    live = root / "being-written"          # another version whose build is writing right now
    live.mkdir()
    (live / ".segment-1-2.tmp").write_bytes(b"PAR1")
    monkeypatch.setattr(cache, "classifier_version", lambda: "next-version")
    killed = root / "next-version" / ".segment-3-4.tmp"   # left by a killed build of the new version
    killed.parent.mkdir()
    killed.write_bytes(b"PAR1")
    os.utime(killed, (time.time() - 2 * 86400,) * 2)
    rows, hits, done = _build(con, tmp_path, caplog)
    assert (hits, done) == (0, 6) and rows == first
    assert sorted(p.name for p in root.iterdir()) == ["being-written", "next-version"]
    assert not killed.exists()
    (line,) = [r.getMessage() for r in caplog.records if "old version" in r.getMessage()]
    assert old.name in line and "next-version" in line


def _verdicts(*ids):
    import pyarrow as pa

    import pipeline.classify.cache as cache

    return pa.table([list(ids), [f"h{i}" for i in ids], ["cnn"] * len(ids), [["cnn"]] * len(ids),
                     [0.5] * len(ids)], schema=cache.SEGMENT_SCHEMA)


def _store(tmp_path, monkeypatch, *segments):
    """A cache of version v1 holding one segment per tuple of paper ids, compacted above 2 segments."""
    import pipeline.classify.cache as cache

    monkeypatch.setattr(cache, "MAX_SEGMENTS", 2)
    store = cache.ClassifyCache(tmp_path, "v1")
    paths = []
    for ids in segments:
        out = store.writer()
        out.write(_verdicts(*ids))
        paths.append(Path(out.close()))
    return store, paths


def _keys(path) -> list[tuple]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return sorted(zip(table["paper_id"].to_pylist(), table["text_hash"].to_pylist()))


def test_compaction_keeps_one_row_per_paper_and_text(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    import pipeline.classify.cache as cache

    # two builds that read the same papers (e.g. run side by side) cached them twice
    store, _ = _store(tmp_path, monkeypatch, ("a", "b"), ("b", "c"), ("a", "c", "d"))
    store.compact()
    (merged,) = store.segments()
    assert _keys(merged) == [("a", "ha"), ("b", "hb"), ("c", "hc"), ("d", "hd")]
    assert pq.read_schema(merged).equals(cache.SEGMENT_SCHEMA)


def test_compaction_sets_a_damaged_segment_aside(tmp_path, caplog, monkeypatch):
    store, paths = _store(tmp_path, monkeypatch, ("a",), ("b",), ("c",), ("e",))
    damaged = _damage(paths[-1], "truncated")
    with caplog.at_level(logging.INFO):
        store.compact()
    (merged,) = store.segments()
    assert _keys(merged) == [("a", "ha"), ("b", "hb"), ("c", "hc")]
    assert len(_warnings(caplog)) == 1 and str(damaged) in _warnings(caplog)[0]
    assert sorted(p.name for p in store.dir.iterdir()) == sorted([Path(merged).name, damaged.name + ".damaged"])
