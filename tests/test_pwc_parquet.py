"""PwC from the surviving archive's Parquet layout: the same raw lake tables as the JSON dumps
(sample, hand-written quirks, the real dumps converted here), per-shard conditional download over a
loopback FileServer, shard discovery, and corrupt shards failing cleanly."""

from __future__ import annotations

import copy
import glob
import hashlib
import json
import shutil
from datetime import datetime
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import schemas
from pipeline import lake
from pipeline.errors import MalformedPageError
from pipeline.sample import generate
from pipeline.sample.file_server import FileServer
from pipeline.sample.pwc_parquet import read_dump, write_archive, write_records
from pipeline.sources.pwc import ingest_dumps
from pipeline.sources.pwc.client import load_state
from pipeline.sources.pwc.parser import DUMPS, FEEDS, QUARANTINE
from test_pwc_parser import ITEMS, write_dump

ALL_DATASETS = sorted({key for keys in FEEDS.values() for key in keys} | {QUARANTINE})


def _drop_nulls(obj):
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


def raw_tables(settings) -> dict[str, dict[str, list]]:
    """Every raw PwC dataset as sorted columns (ingest time and partition left out).

    In ``pwc/quarantine`` the location names the file the record came from (a dump or a shard),
    so it is left out, and the raw text is compared as JSON without nulls: Arrow gives every
    record all keys of its struct.
    """
    out = {}
    for key in ALL_DATASETS:
        names = [f.name for f in schemas.get(key).schema if f.name != "ingested_at"]
        if key == QUARANTINE:
            names.remove("location")
        rows = []
        for value in lake.list_partitions(settings.lake, key):
            for f in sorted(lake.partition_dir(settings.lake, schemas.get(key), value).glob("*.parquet")):
                for row in pq.read_table(f).to_pylist():
                    if key == QUARANTINE:
                        row["raw"] = json.dumps(_drop_nulls(json.loads(row["raw"])), sort_keys=True)
                    rows.append(tuple(json.dumps(row[n], default=str) for n in names))
        rows.sort()
        out[key] = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return out


def assert_same_tables(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].keys() == b[key].keys(), key
        for column in a[key]:
            assert a[key][column] == b[key][column], f"{key}.{column} differs"


def two_lakes(settings, tmp_path):
    return replace(settings, home=tmp_path / "home-json"), replace(settings, home=tmp_path / "home-parquet")


def by_target(results) -> dict:
    return {r.target: r for r in results}


@pytest.fixture(scope="module")
def sample_pwc(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "s"
    generate(out, 1500, 7)
    return out / "pwc"


# --- (a) the sample's JSON dumps and the same data in the archive layout -----------------------

def test_sample_archive_layout_gives_identical_raw_tables(settings, tmp_path, sample_pwc):
    archive = tmp_path / "archive"
    written = write_archive(sample_pwc, archive)
    assert set(written) == set(DUMPS)
    assert [p.name for p in written["papers-with-abstracts"]] == [
        f"train-0000{i}-of-00004.parquet" for i in range(4)]
    assert written["links-between-papers-and-code"][0].parent == archive / "links-between-paper-and-code" / "data"
    # Nested columns as the converter writes them: lists of structs, structs over the union of keys.
    methods = pq.read_schema(written["methods"][0])
    assert pa.types.is_list(methods.field("collections").type)
    assert pa.types.is_struct(methods.field("collections").type.value_type)
    assert pa.types.is_struct(methods.field("paper").type)
    evaluation = pq.read_schema(written["evaluation-tables"][0]).field("datasets").type.value_type
    assert pa.types.is_struct(evaluation.field("sota").type)

    on_json, on_parquet = two_lakes(settings, tmp_path)
    from_json = by_target(ingest_dumps(replace(on_json, pwc_dumps=str(sample_pwc))))
    from_parquet = by_target(ingest_dumps(replace(on_parquet, pwc_dumps=str(archive))))
    assert {r.outcome for r in from_parquet.values()} == {"ok"}
    for name in DUMPS:
        assert from_parquet[name].rows == from_json[name].rows, name
        assert from_parquet[name].quarantined == from_json[name].quarantined, name
    assert from_json["papers-with-abstracts"].rows["pwc/papers"] > 100
    json_tables, parquet_tables = raw_tables(on_json), raw_tables(on_parquet)
    assert sum(len(next(iter(t.values()), [])) for t in json_tables.values()) > 1000
    assert_same_tables(json_tables, parquet_tables)
    # The version of a sharded dump is the hash over its shards' hashes.
    shas = [hashlib.sha256(p.read_bytes()).hexdigest() for p in written["papers-with-abstracts"]]
    combined = hashlib.sha256("\n".join(shas).encode()).hexdigest()
    assert from_parquet["papers-with-abstracts"].partition == combined[:16]
    assert lake.list_partitions(on_parquet.lake, "pwc/papers") == [combined[:16]]


def representable_items() -> dict[str, list]:
    """The hand-written dumps less what no typed Parquet column can hold (a bare 42 as a record,
    a string among method objects, a number among title strings): the rest still has a record
    without its key field and a method entry without a name, both quarantined."""
    items = {name: copy.deepcopy(make()) for name, make in ITEMS.items()}  # the items share module constants
    papers = [p for p in items["papers-with-abstracts"]
              if isinstance(p, dict) and not isinstance(p.get("title"), int)]
    for paper in papers:
        paper["methods"] = [m for m in paper.get("methods") or [] if isinstance(m, dict)]
    items["papers-with-abstracts"] = papers
    return items


def test_hand_written_quirks_identical_in_single_file_layout(settings, tmp_path):
    """Placeholder years, paper null, duplicates, bad records, mixed metric cells: same rows."""
    dumps, single = tmp_path / "dumps", tmp_path / "single"
    for name, items in representable_items().items():
        write_dump(dumps, name, items)
        write_records(items, single, name, layout="single")
    assert sorted(p.name for p in single.iterdir()) == sorted(f"{n}.parquet" for n in DUMPS)
    on_json, on_parquet = two_lakes(settings, tmp_path)
    from_json = by_target(ingest_dumps(replace(on_json, pwc_dumps=str(dumps))))
    from_parquet = by_target(ingest_dumps(replace(on_parquet, pwc_dumps=str(single))))
    assert from_json["papers-with-abstracts"].quarantined == 2
    for name in DUMPS:
        assert (from_parquet[name].rows, from_parquet[name].quarantined, from_parquet[name].detail) == \
               (from_json[name].rows, from_json[name].quarantined, from_json[name].detail), name
    assert_same_tables(raw_tables(on_json), raw_tables(on_parquet))
    quarantine = [r for f in sorted(glob.glob(lake.dataset_glob(on_parquet.lake, QUARANTINE)))
                  for r in pq.read_table(f).to_pylist()]
    assert {q["location"] for q in quarantine} == {"papers-with-abstracts.parquet#row 4",
                                                   "papers-with-abstracts.parquet#row 5.methods[0]"}


def test_typed_dates_and_map_metrics_read_like_text(settings, tmp_path):
    """Writers that type dates (timestamps) or store metric cells as a map give the same rows."""
    items = ITEMS["evaluation-tables"]()
    dumps = tmp_path / "dumps"
    write_dump(dumps, "evaluation-tables", items)
    # Rebuild the nested leaderboard rows with timestamp dates and map-typed metrics.
    row_type = pa.struct([("model_name", pa.string()), ("paper_title", pa.string()), ("paper_url", pa.string()),
                          ("paper_date", pa.timestamp("s")), ("uses_additional_data", pa.bool_()),
                          ("metrics", pa.map_(pa.string(), pa.string()))])

    def rows(raw):
        out = []
        for r in raw:
            date = r.get("paper_date") or None
            out.append({**{k: r.get(k) for k in ("model_name", "paper_title", "paper_url", "uses_additional_data")},
                        "paper_date": None if date is None else datetime.fromisoformat(date),
                        "metrics": [(k, None if v is None else str(v)) for k, v in r["metrics"].items()]})
        return out

    dataset_type = pa.struct([("dataset", pa.string()), ("description", pa.string()),
                              ("sota", pa.struct([("metrics", pa.list_(pa.string())), ("rows", pa.list_(row_type))])),
                              ("subdatasets", pa.list_(pa.struct([
                                  ("subdataset", pa.string()),
                                  ("sota", pa.struct([("metrics", pa.list_(pa.string())),
                                                      ("rows", pa.list_(row_type))]))])))])
    records = []
    for task in items:
        datasets = [{"dataset": d["dataset"], "description": d["description"],
                     "sota": {"metrics": d["sota"]["metrics"], "rows": rows(d["sota"]["rows"])},
                     "subdatasets": [{"subdataset": s["subdataset"],
                                      "sota": {"metrics": s["sota"]["metrics"], "rows": rows(s["sota"]["rows"])}}
                                     for s in d["subdatasets"]]} for d in task["datasets"]]
        records.append({"task": task["task"], "description": task["description"],
                        "categories": task["categories"], "datasets": datasets,
                        "subtasks": [{"task": s["task"], "description": s["description"],
                                      "categories": s["categories"]} for s in task["subtasks"]]})
    schema = pa.schema([("task", pa.string()), ("description", pa.string()), ("categories", pa.list_(pa.string())),
                        ("datasets", pa.list_(dataset_type)),
                        ("subtasks", pa.list_(pa.struct([("task", pa.string()), ("description", pa.string()),
                                                         ("categories", pa.list_(pa.string()))])))])
    folder = tmp_path / "typed" / "evaluation-tables" / "data"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(records, schema=schema), folder / "train-00000-of-00001.parquet")
    on_json, on_parquet = two_lakes(settings, tmp_path)
    ingest_dumps(replace(on_json, pwc_dumps=str(dumps)), only="evaluation-tables")
    ingest_dumps(replace(on_parquet, pwc_dumps=str(tmp_path / "typed")), only="evaluation-tables")
    json_tables, parquet_tables = raw_tables(on_json), raw_tables(on_parquet)
    # The JSON has the number 91.2 where the map holds the text "91.2": same raw text, same value.
    assert_same_tables(json_tables, parquet_tables)
    assert len(json_tables["pwc/eval_results"]["metric_name"]) == 5


# --- (b) the real dumps, converted to Parquet here as the HF converter does --------------------

def _real_sources(real_data: Path) -> dict[str, list[Path]]:
    return {"methods": [real_data / "pwc-methods-2022" / "methods.json"],
            "evaluation-tables": sorted((real_data / "pwc-sota-extractor").glob("*.json")),
            "links-between-papers-and-code": [real_data / "pwc-links-grimrepor" / "links_projection.json"]}


def test_real_dumps_converted_to_parquet_give_identical_raw_tables(settings, tmp_path, real_data):
    sources = _real_sources(real_data)
    on_json, on_parquet = two_lakes(settings, tmp_path)
    totals = {}
    for name, files in sources.items():
        for i, source in enumerate(files):
            records = json.loads(source.read_text())
            json_dir, parquet_dir = tmp_path / f"json-{name}-{i}", tmp_path / f"parquet-{name}-{i}"
            json_dir.mkdir()
            shutil.copyfile(source, json_dir / f"{name}.json")
            # What the HF converter does with a JSON array: one table typed by inference over all
            # records, then shards. (Table.from_pylist would drop a top-level key that the first
            # record lacks, as in nlpprogress.json.)
            table = pa.Table.from_struct_array(pa.array(records))
            data = parquet_dir / (("links-between-paper-and-code" if name.startswith("links") else name)) / "data"
            data.mkdir(parents=True)
            count = 2 if table.num_rows > 1 else 1
            step = -(-table.num_rows // count)
            for k in range(count):
                pq.write_table(table.slice(k * step, step), data / f"train-{k:05d}-of-{count:05d}.parquet")
            home_a = replace(on_json, home=on_json.home / f"{name}-{i}", pwc_dumps=str(json_dir))
            home_b = replace(on_parquet, home=on_parquet.home / f"{name}-{i}", pwc_dumps=str(parquet_dir))
            a, b = ingest_dumps(home_a, only=name)[0], ingest_dumps(home_b, only=name)[0]
            assert (a.rows, a.quarantined) == (b.rows, b.quarantined), source.name
            for key, n in a.rows.items():
                totals[key] = totals.get(key, 0) + n
            assert_same_tables(raw_tables(home_a), raw_tables(home_b))
    # Every real row went through both paths (counts from the JSON path's own lake).
    assert totals["pwc/methods"] > 1800 and totals["pwc/eval_results"] > 3000 and totals["pwc/code_links"] > 2000


# --- (c) conditional download per shard over HTTP ---------------------------------------------

@pytest.fixture
def served_archive(tmp_path, sample_pwc) -> Path:
    archive = tmp_path / "served"
    write_archive(sample_pwc, archive, dumps=("papers-with-abstracts", "methods"))
    return archive


def test_http_shards_unchanged_then_one_changed_shard_reingests(settings, tmp_path, served_archive, sample_pwc):
    with FileServer(served_archive) as server:
        local = replace(settings, pwc_dumps=server.url)
        first = by_target(ingest_dumps(local, only=["papers-with-abstracts", "methods"]))
        assert {r.outcome for r in first.values()} == {"ok"}
        state = load_state(settings.state, "papers-with-abstracts")
        assert state["format"] == "parquet" and len(state["shards"]) == 4
        assert all(s["etag"] and s["last_modified"] and s["sha256"] for s in state["shards"])
        before = raw_tables(settings)

        server.requests_log.clear()
        second = by_target(ingest_dumps(local, only=["papers-with-abstracts", "methods"]))
        assert {r.outcome for r in second.values()} == {"unchanged"}
        assert second["papers-with-abstracts"].checksum == first["papers-with-abstracts"].checksum
        shard_gets = [(q.status, q.if_none_match is not None) for q in server.requests_log
                      if q.method == "GET" and q.path.endswith(".parquet")]
        assert shard_gets == [(304, True)] * 5  # 4 papers shards + 1 methods shard, none sent again

        # Change one papers shard (drop its last record): only that dump is re-ingested.
        shard = served_archive / "papers-with-abstracts" / "data" / "train-00002-of-00004.parquet"
        table = pq.read_table(shard)
        pq.write_table(table.slice(0, table.num_rows - 1), shard)
        server.requests_log.clear()
        third = by_target(ingest_dumps(local, only=["papers-with-abstracts", "methods"]))
    assert third["papers-with-abstracts"].outcome == "ok" and third["methods"].outcome == "unchanged"
    assert third["papers-with-abstracts"].partition != first["papers-with-abstracts"].partition
    papers_gets = [(q.path.rsplit("/", 1)[1], q.status) for q in server.requests_log
                   if q.method == "GET" and "papers-with-abstracts/data/" in q.path]
    # Conditional pass: one 200 (the changed shard); then the 304 shards are fetched in full.
    assert sorted(papers_gets[:4], key=lambda x: x[0]) == [
        ("train-00000-of-00004.parquet", 304), ("train-00001-of-00004.parquet", 304),
        ("train-00002-of-00004.parquet", 200), ("train-00003-of-00004.parquet", 304)]
    assert sorted(papers_gets[4:]) == [(f"train-0000{i}-of-00004.parquet", 200) for i in (0, 1, 3)]
    after = raw_tables(settings)
    assert len(after["pwc/papers"]["paper_url"]) == len(before["pwc/papers"]["paper_url"]) - 1
    assert lake.list_partitions(settings.lake, "pwc/papers") == [third["papers-with-abstracts"].partition]
    assert after["pwc/methods"] == before["pwc/methods"]
    assert not list((settings.lake / "_tmp").rglob("*.parquet"))  # downloads cleaned up


def test_http_template_url_names_each_dataset_repository(settings, tmp_path, sample_pwc):
    # The Hub serves each dump as its own repository: <org>/<dataset>/resolve/main/data/<shard>.
    hub = tmp_path / "hub"
    archive = tmp_path / "archive"
    write_archive(sample_pwc, archive, dumps=("methods", "links-between-papers-and-code"))
    for folder in ("methods", "links-between-paper-and-code"):
        shutil.copytree(archive / folder, hub / "datasets" / "pwc-archive" / folder / "resolve" / "main")
    with FileServer(hub) as server:
        url = server.url + "datasets/pwc-archive/{dataset}/resolve/main"
        results = by_target(ingest_dumps(replace(settings, pwc_dumps=url),
                                         only=["methods", "links-between-papers-and-code"]))
        again = by_target(ingest_dumps(replace(settings, pwc_dumps=url),
                                       only=["methods", "links-between-papers-and-code"]))
    assert {r.outcome for r in results.values()} == {"ok"}
    assert {r.outcome for r in again.values()} == {"unchanged"}
    assert results["links-between-papers-and-code"].rows["pwc/code_links"] > 100
    paths = server.paths_requested()
    assert "/datasets/pwc-archive/links-between-paper-and-code/resolve/main/data/train-00000-of-00001.parquet" in paths


def test_http_missing_dump_reported_missing(settings, served_archive):
    with FileServer(served_archive) as server:
        results = by_target(ingest_dumps(replace(settings, pwc_dumps=server.url),
                                         only=["methods", "datasets"]))
    assert results["methods"].outcome == "ok"
    assert results["datasets"].outcome == "missing"
    assert "datasets/data/*.parquet" in results["datasets"].detail


def test_directory_shards_unchanged_by_checksum(settings, served_archive):
    local = replace(settings, pwc_dumps=str(served_archive))
    first = by_target(ingest_dumps(local, only=["papers-with-abstracts"]))
    again = by_target(ingest_dumps(local, only=["papers-with-abstracts"]))
    assert first["papers-with-abstracts"].outcome == "ok"
    assert again["papers-with-abstracts"].outcome == "unchanged"
    assert "SHA-256" in again["papers-with-abstracts"].detail
    forced = by_target(ingest_dumps(local, only=["papers-with-abstracts"], force=True))
    assert forced["papers-with-abstracts"].outcome == "ok"


# --- (d) a corrupt or truncated shard ------------------------------------------------------------

def lake_files(settings) -> dict[str, str]:
    root = settings.lake / "raw"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_corrupt_shard_fails_that_dump_and_keeps_the_lake(settings, served_archive, damage):
    local = replace(settings, pwc_dumps=str(served_archive))
    ingest_dumps(local, only=["papers-with-abstracts", "methods"])
    before = lake_files(settings)
    shard = served_archive / "papers-with-abstracts" / "data" / "train-00003-of-00004.parquet"
    data = shard.read_bytes()
    if damage == "truncate":
        shard.write_bytes(data[: len(data) // 2])
    else:  # footer intact, the pages of the second half of the file garbled
        footer = int.from_bytes(data[-8:-4], "little") + 8
        middle = len(data) // 2
        shard.write_bytes(data[:middle] + bytes(range(256)) * ((len(data) - footer - middle) // 256)
                          + bytes((len(data) - footer - middle) % 256) + data[-footer:])
        assert len(shard.read_bytes()) == len(data)
    methods = served_archive / "methods" / "data" / "train-00000-of-00001.parquet"
    write_records(read_dump_items(methods) + [{"url": "https://paperswithcode.com/method/new", "name": "New"}],
                  served_archive, "methods")
    state = load_state(settings.state, "papers-with-abstracts")
    with pytest.raises(MalformedPageError) as info:
        ingest_dumps(local, only=["papers-with-abstracts", "methods"])
    assert load_state(settings.state, "papers-with-abstracts") == state
    message = str(info.value)
    assert "\n" not in message and "papers-with-abstracts/data/train-00003-of-00004.parquet" in message
    assert "corrupt or truncated Parquet" in message
    after = lake_files(settings)
    papers = {k: v for k, v in after.items() if k.startswith("pwc/papers") or k.startswith("pwc/paper_")}
    assert papers == {k: v for k, v in before.items() if k.startswith("pwc/papers") or k.startswith("pwc/paper_")}
    # The other dump in the same run still went in.
    assert any(k.startswith("pwc/methods") for k in set(after) - set(before))
    assert not any(p.name.startswith("_") for p in (settings.lake / "raw").rglob("*") if p.is_dir())


def read_dump_items(path: Path) -> list:
    """Records of a Parquet shard without the nulls Arrow added (what the JSON held)."""
    return [_drop_nulls(r) for r in pq.read_table(path).to_pylist()]


def test_json_dump_wins_over_parquet_in_the_same_place(settings, tmp_path, sample_pwc):
    mixed = tmp_path / "mixed"
    write_archive(sample_pwc, mixed, dumps=("methods",))
    shutil.copyfile(sample_pwc / "methods.json.gz", mixed / "methods.json.gz")
    result = ingest_dumps(replace(settings, pwc_dumps=str(mixed)), only="methods")[0]
    assert result.outcome == "ok"
    assert load_state(settings.state, "methods")["file"] == "methods.json.gz"


def test_http_broken_shard_transfer_is_retried(settings, served_archive):
    with FileServer(served_archive) as server:
        server.truncate_next(1, keep_bytes=50)
        result = ingest_dumps(replace(settings, pwc_dumps=server.url), only="methods")[0]
    assert result.outcome == "ok" and result.rows["pwc/methods"] > 10
    gets = [q.status for q in server.requests_log if q.method == "GET" and q.path.endswith(".parquet")]
    assert gets == [200, 200]  # the cut-off body, then the whole shard
