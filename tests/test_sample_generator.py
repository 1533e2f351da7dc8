"""The sample generator: determinism, real formats, planted truth, ids, citations, reuse."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from pipeline.ids import ARXIV_ID_PATTERN, normalize_arxiv_id
from pipeline.sample import GENERATOR_VERSION, SAMPLE_FILES, SNAPSHOT_CUTOFF, ensure_sample, generate
from pipeline.sample.catalog import DOMAINS, FAMILIES, METHODS

N = 600


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample") / "s"
    truth = generate(out, N, 42)
    return out, truth


def _lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _array(path: Path) -> list:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _v1(rec: dict) -> date:
    return parsedate_to_datetime(rec["versions"][0]["created"]).date()


def test_layout_and_manifest(sample):
    out, _ = sample
    for rel in SAMPLE_FILES:
        assert (out / rel).is_file(), rel
    meta = json.loads((out / "sample.json").read_text())
    assert meta["papers"] == N and meta["seed"] == 42
    assert set(meta["files"]) == set(SAMPLE_FILES) - {"sample.json"}
    windows = meta["oai_windows"]
    assert len(windows) == 12 and windows[0] == ["2025-01-01", "2025-01-31"] and windows[-1][1] == "2025-12-31"


def test_same_seed_identical_bytes_other_seed_differs(sample, tmp_path):
    out, _ = sample
    generate(tmp_path / "again", N, 42)
    generate(tmp_path / "other", N, 43)
    first = json.loads((out / "sample.json").read_text())["files"]
    again = json.loads((tmp_path / "again" / "sample.json").read_text())["files"]
    other = json.loads((tmp_path / "other" / "sample.json").read_text())["files"]
    assert first == again
    assert (out / "sample.json").read_bytes() == (tmp_path / "again" / "sample.json").read_bytes()
    for rel in ("arxiv/corpus.jsonl.gz", "s2/papers.jsonl.gz", "pwc/papers-with-abstracts.json.gz", "truth.json"):
        assert first[rel]["sha256"] != other[rel]["sha256"], rel


def test_arxiv_records_have_the_kaggle_shape(sample, real_data):
    out, _ = sample
    real = [json.loads(line) for line in (real_data / "arxiv-kaggle-snapshot" / "arxiv-metadata-oai-snapshot.head.jsonl")
            .read_text().splitlines()[:50]]
    real_keys = set(real[0])
    for name in ("corpus.jsonl.gz", "arxiv-metadata-oai-snapshot.jsonl.gz"):
        recs = _lines(out / "arxiv" / name)
        for rec in recs:
            assert set(rec) == real_keys
            assert list(rec) == list(real[0])  # same key order as the real snapshot
            assert all(set(v) == {"version", "created"} for v in rec["versions"])
            assert all(len(a) == 3 for a in rec["authors_parsed"])
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rec["update_date"])
            parsedate_to_datetime(rec["versions"][-1]["created"])
            assert rec["abstract"].startswith("  ") and rec["abstract"].endswith("\n")
    assert type(real[0]["versions"][0]["created"]) is str


def test_ids_valid_unique_both_styles(sample):
    out, _ = sample
    recs = _lines(out / "arxiv" / "corpus.jsonl.gz")
    ids = [r["id"] for r in recs]
    assert len(ids) == N == len(set(ids))
    assert all(re.fullmatch(ARXIV_ID_PATTERN, i) and normalize_arxiv_id(i) == i for i in ids)
    old = [i for i in ids if "/" in i]
    assert len(old) >= 5 and all(_v1(r).year < 2007 for r in recs if "/" in r["id"])
    for r in recs:
        if "/" in r["id"]:
            continue
        v1 = _v1(r)
        assert r["id"][:4] == f"{v1.year % 100:02d}{v1.month:02d}"
        assert len(r["id"].split(".")[1]) == (4 if v1.year < 2015 else 5)
    years = Counter(_v1(r).year for r in recs)
    assert min(y for y in years if y >= 2012) == 2012 and max(years) == 2025
    assert years[2024] > 3 * years[2013]  # growth
    assert "1706.03762" in ids  # landmark with its real id


def test_snapshot_respects_cutoff_and_oai_brings_the_rest(sample):
    out, _ = sample
    corpus = {r["id"]: r for r in _lines(out / "arxiv" / "corpus.jsonl.gz")}
    snap = {r["id"]: r for r in _lines(out / "arxiv" / "arxiv-metadata-oai-snapshot.jsonl.gz")}
    assert set(snap) == {i for i, r in corpus.items() if _v1(r) < SNAPSHOT_CUTOFF}
    for i, r in snap.items():
        assert all(parsedate_to_datetime(v["created"]).date() < SNAPSHOT_CUTOFF for v in r["versions"])
        assert r["update_date"] < SNAPSHOT_CUTOFF.isoformat()
    updated_later = [i for i in snap if len(corpus[i]["versions"]) > len(snap[i]["versions"])]
    assert updated_later, "some pre-cutoff papers must get later versions via OAI"
    assert any(_v1(r) >= SNAPSHOT_CUTOFF for r in corpus.values())
    assert Counter(len(r["versions"]) for r in corpus.values()).keys() >= {1, 2, 3}
    assert all(r["versions"][-1]["created"] and r["update_date"] <= "2025-12-31" for r in corpus.values())


def _is_ml(categories: list[str]) -> bool:
    core = {"cs.LG", "stat.ML", "cs.CL", "cs.CV", "cs.AI", "cs.NE", "cs.IR", "cs.RO", "cs.SD", "eess.AS",
            "eess.IV", "eess.SP"}
    cats = set(categories)
    if cats & core:
        return True
    if "cs.SI" in cats and "cs.LG" in cats:
        return True
    return any(c.startswith("q-bio.") for c in cats) and bool(cats & {"cs.LG", "stat.ML"})


def _domain(primary: str) -> str:
    table = {"cs.CL": "nlp", "cs.CV": "vision", "eess.IV": "vision", "cs.SD": "speech_audio",
             "eess.AS": "speech_audio", "cs.SI": "graphs", "cs.RO": "rl_robotics", "eess.SP": "time_series",
             "stat.ML": "tabular_classic", "stat.ME": "tabular_classic", "stat.CO": "tabular_classic",
             "physics.med-ph": "bio_medicine"}
    return "bio_medicine" if primary.startswith("q-bio.") else table.get(primary, "general_ml")


def test_categories_follow_the_domain_and_ml_rules(sample):
    out, _ = sample
    labels = {r["id"]: r for r in _lines(out / "truth_papers.jsonl.gz")}
    pwc_tasks = {p["arxiv_id"]: p["tasks"] for p in _array(out / "pwc" / "papers-with-abstracts.json.gz") if p["arxiv_id"]}
    non_ml = 0
    for rec in _lines(out / "arxiv" / "corpus.jsonl.gz"):
        cats = rec["categories"].split()
        truth = labels[rec["id"]]
        if not truth["is_ml"]:
            non_ml += 1
            assert not _is_ml(cats), rec["categories"]
            continue
        assert _is_ml(cats), rec["categories"]
        if "/" in rec["id"]:
            continue
        mapped = _domain(cats[0])
        if mapped != truth["domain"]:
            # RL papers listed under cs.LG: PwC tasks (RL areas) carry the domain
            assert truth["domain"] == "rl_robotics" and cats[0] == "cs.LG" and rec["id"] in pwc_tasks
    assert 0.015 * N < non_ml < 0.06 * N


def test_truth_json_contract(sample):
    _, truth = sample
    assert truth["generator"] == {"version": GENERATOR_VERSION, "seed": 42, "papers": N}
    assert truth["years"] == [2012, 2025] and truth["domains"] == list(DOMAINS)
    assert set(truth["takeover"]) == set(DOMAINS)
    for v in truth["takeover"].values():
        assert v["family"] in FAMILIES
        assert v["planted_year"] is None or 2012 <= v["planted_year"] <= 2025
        assert v["realised_year"] is None or isinstance(v["realised_year"], int)
    assert truth["takeover"]["nlp"] == {**truth["takeover"]["nlp"], "family": "transformer", "planted_year": 2019}
    for dom, years in truth["planted_shares"].items():
        assert set(years) == {str(y) for y in range(2012, 2026)}
        for shares in years.values():
            assert abs(sum(shares.values()) - 1) < 0.01 and set(shares) <= set(FAMILIES)
    ap = truth["author_persistence"]
    assert ap["planted"] == 0.8 and 0.75 < ap["realised"] < 0.95
    sp = truth["switch_penalty"]
    assert sp["window_years"] == 2 and sp["planted_productivity_ratio"] == 0.6
    assert 0.3 < sp["realised_productivity_ratio"] < 1.0 and sp["switch_events"] > 20
    assert truth["attachment_exponent"]["planted"] == 1.0
    shift = truth["framework_shift"]["pytorch_share_by_year"]
    assert all(0 <= v <= 1 for v in shift.values())
    assert {"Transformer", "BERT", "ResNet"} <= set(truth["foundation_models"])
    assert set(truth["tolerances"]) >= {"takeover_year", "author_persistence", "switch_productivity_ratio",
                                        "attachment_exponent"}


def test_planted_trends_are_in_the_labels(sample, tmp_path):
    out, truth = sample
    labels = [r for r in _lines(out / "truth_papers.jsonl.gz") if r["is_ml"]]
    # recompute the fractional shares from the per-paper labels: they must equal truth's
    acc: dict = defaultdict(lambda: defaultdict(float))
    for r in labels:
        year = int(r["published"][:4])
        if year < 2012:
            continue
        for fam in r["families"]:
            acc[(r["domain"], year)][fam] += 1 / len(r["families"])
    for (dom, year), fams in acc.items():
        total = sum(fams.values())
        for fam, w in fams.items():
            assert abs(truth["realised_shares"][dom][str(year)][fam] - w / total) < 1e-3
    def share(dom, years, fam):
        tot = sum(sum(acc[(dom, y)].values()) for y in years)
        return sum(acc[(dom, y)][fam] for y in years) / tot
    assert share("nlp", [2023, 2024], "transformer") > 0.5
    assert share("nlp", [2014, 2015], "transformer") < 0.1
    assert share("vision", [2014, 2015, 2016], "cnn") > share("vision", [2024, 2025], "cnn")
    assert share("nlp", [2016, 2017], "rnn") > 3 * share("nlp", [2024, 2025], "rnn")
    assert share("graphs", [2021, 2022, 2023], "gnn") > 0.4
    assert all(int(r["published"][:4]) >= 2020 for r in labels if r["primary_family"] == "diffusion")
    assert all(int(r["published"][:4]) >= 2021 for r in labels if r["primary_family"] == "ssm")
    ambiguous = sum(r["ambiguous_text"] for r in labels)
    assert 0.03 * len(labels) < ambiguous < 0.12 * len(labels)


def test_text_names_own_backbones_and_ambiguous_name_none(sample):
    out, _ = sample
    labels = {r["id"]: r for r in _lines(out / "truth_papers.jsonl.gz")}
    names = sorted({m[0] for m in METHODS}, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    recs = _lines(out / "arxiv" / "corpus.jsonl.gz")
    for rec in recs:
        lab = labels[rec["id"]]
        text = rec["title"] + " " + rec["abstract"]
        if lab["ambiguous_text"]:
            assert not pattern.search(text), rec["id"]
            assert "baseline" not in text and "Unlike" not in text
    joined = " ".join(r["abstract"].replace("\n", " ") for r in recs)
    assert re.search(r"outperforms strong \S+ and \S+ baselines", joined)
    assert "backbone" in joined and "-based" in joined


def test_pwc_dumps_have_the_real_shapes(sample, real_data):
    out, _ = sample
    real_methods = json.loads((real_data / "pwc-methods-2022" / "methods.json").read_text())
    methods = _array(out / "pwc" / "methods.json.gz")
    assert all(set(m) == set(real_methods[0]) for m in methods)
    real_coll_keys = set(real_methods[0]["collections"][0])
    assert all(set(c) == real_coll_keys for m in methods for c in m["collections"])
    assert sum(m["introduced_year"] == 2000 for m in methods) > 0.7 * len(methods)
    assert any(m["paper"] is None for m in methods) and any(not m["collections"] for m in methods)
    assert any(c["area"] is None for m in methods for c in m["collections"])
    by_name = {m["name"]: m for m in methods}
    assert "/method/linformer" in by_name["Synthesizer"]["description"]
    assert "/method/synthesizer" in by_name["Linformer"]["description"]
    assert "/method/vit" in by_name["Swin Transformer"]["description"]

    papers = _array(out / "pwc" / "papers-with-abstracts.json.gz")
    keys = {"paper_url", "arxiv_id", "title", "abstract", "url_abs", "url_pdf", "proceeding", "authors", "tasks",
            "date", "methods"}
    assert all(set(p) == keys for p in papers)
    method_keys = {"name", "full_name", "description", "introduced_year", "source_url", "source_title",
                   "code_snippet_url", "main_collection"}
    assert all(set(m) == method_keys for p in papers for m in p["methods"])
    urls = Counter(p["paper_url"] for p in papers)
    assert any(c > 1 for c in urls.values()), "planted duplicate rows"
    paper_urls = set(urls)
    intro = [m["paper"]["url"] for m in methods if m["paper"]]
    assert all(u in paper_urls for u in intro), "method papers resolve to PwC papers"
    n_ml = sum(r["is_ml"] for r in _lines(out / "truth_papers.jsonl.gz"))
    assert 0.35 * n_ml < len(paper_urls) < 0.7 * n_ml

    links = _array(out / "pwc" / "links-between-papers-and-code.json.gz")
    real_links = json.loads((real_data / "pwc-links-grimrepor" / "links_projection.json").read_text())
    assert all(set(real_links[0]) <= set(row) for row in links)
    frameworks = Counter(row["framework"] for row in links)
    assert {"pytorch", "tf", "none"} <= set(frameworks)
    assert len({(r["paper_url"], r["repo_url"]) for r in links}) < len(links)

    tables = _array(out / "pwc" / "evaluation-tables.json.gz")
    real_task_keys, real_ds_keys, real_row_keys = set(), set(), set()
    for f in (real_data / "pwc-sota-extractor").glob("*.json"):
        for t in json.loads(f.read_text()):
            real_task_keys |= set(t)
            for d in t.get("datasets", []):
                real_ds_keys |= set(d)
                for row in d.get("sota", {}).get("rows", []):
                    real_row_keys |= set(row)
    rows = []
    for t in tables:
        assert set(t) <= real_task_keys
        for d in t["datasets"]:
            assert set(d) <= real_ds_keys
            rows += d["sota"]["rows"]
            for sub in d["subdatasets"]:
                assert "subdataset" in sub
                rows += sub["sota"]["rows"]
    assert rows and all(set(r) <= real_row_keys for r in rows)
    arxiv_rows = [r for r in rows if normalize_arxiv_id(r["paper_url"])]
    assert len(arxiv_rows) > 0.5 * len(rows)
    assert any(r["paper_date"] is None for r in rows)
    datasets = _array(out / "pwc" / "datasets.json.gz")
    assert len(datasets) >= 20 and all({"url", "name", "paper", "introduced_date", "tasks"} <= set(d) for d in datasets)


def test_s2_objects_and_time_ordered_citations(sample, real_data):
    out, _ = sample
    real = json.loads((real_data / "s2-semanticscholar-py" / "Paper.json").read_text())
    want = ["paperId", "externalIds", "corpusId", "title", "year", "referenceCount", "citationCount",
            "influentialCitationCount", "references"]
    assert set(want) <= set(real)
    corpus = {r["id"]: _v1(r) for r in _lines(out / "arxiv" / "corpus.jsonl.gz")}
    objs = _lines(out / "s2" / "papers.jsonl.gz")
    assert 0.005 * N < N - len(objs) < 0.05 * N, "about 2 % absent"
    internal = external = null = 0
    for o in objs:
        assert list(o) == want
        assert re.fullmatch(r"[0-9a-f]{40}", o["paperId"]) and o["externalIds"]["CorpusId"] == o["corpusId"]
        citing = o["externalIds"]["ArXiv"]
        assert citing in corpus and o["referenceCount"] == len(o["references"])
        for ref in o["references"]:
            assert set(ref) == {"paperId", "corpusId", "externalIds", "title", "year"}
            if ref["paperId"] is None:
                null += 1
                continue
            ext = ref["externalIds"]
            if "ArXiv" in ext:
                internal += 1
                assert corpus[ext["ArXiv"]] < corpus[citing], (citing, ext["ArXiv"])
            else:
                external += 1
                assert "DOI" in ext
    assert internal > 5 * N and external > N and null > 0


def test_ensure_sample_reuses_and_regenerates(settings):
    from dataclasses import replace

    small = replace(settings, sample_papers=N, sample_seed=5)
    path = ensure_sample(small)
    assert path == small.sample_dir and (path / "truth.json").is_file()
    stamp = (path / "sample.json").stat().st_mtime_ns
    assert ensure_sample(small) == path
    assert (path / "sample.json").stat().st_mtime_ns == stamp
    other = replace(small, sample_seed=6)
    ensure_sample(other)
    assert json.loads((path / "sample.json").read_text())["seed"] == 6
    assert sorted(p.name for p in path.parent.iterdir()) == ["sample"]  # no temp dirs left


def test_cli_writes_a_sample(tmp_path, capsys):
    from pipeline.cli import main

    assert main(["--home", str(tmp_path / "h"), "sample", "--papers", "450", "--seed", "3",
                 "--out", str(tmp_path / "cli"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["papers"] == 450 and (tmp_path / "cli" / "truth.json").is_file()
    assert main(["--home", str(tmp_path / "h"), "sample", "--papers", "10", "--out", str(tmp_path / "x")]) == 2


def test_failed_generation_leaves_previous_sample(settings, monkeypatch):
    from dataclasses import replace

    import pipeline.sample.generator as gen

    small = replace(settings, sample_papers=N, sample_seed=9)
    path = ensure_sample(small)
    before = (path / "sample.json").read_bytes()
    real_generate = gen.generate

    def dies_half_way(out_dir, papers, seed):
        real_generate(out_dir, papers, seed)
        (Path(out_dir) / "truth.json").write_text("{half")
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(gen, "generate", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        ensure_sample(replace(small, sample_seed=10))
    assert (path / "sample.json").read_bytes() == before
    assert json.loads((path / "truth.json").read_text())["generator"]["seed"] == 9
    assert sorted(p.name for p in path.parent.iterdir()) == ["sample"]


def test_a_new_writer_is_one_module_and_one_registration_line(tmp_path, monkeypatch):
    from pipeline.sample import writers

    module = tmp_path / "extra_sample_writer.py"
    module.write_text(
        "from pipeline.sample.writers import Writer\n"
        "class IdsWriter(Writer):\n"
        "    name = 'ids'\n"
        "    files = ('extra/ids.txt',)\n"
        "    def start(self, world, out):\n"
        "        super().start(world, out)\n"
        "        (self.out / 'extra').mkdir(parents=True, exist_ok=True)\n"
        "        self.fh = open(self.out / 'extra' / 'ids.txt', 'w')\n"
        "    def paper(self, i, abstract):\n"
        "        self.fh.write(self.c.ids[i] + '\\n')\n"
        "    def finish(self):\n"
        "        self.fh.close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plain = tmp_path / "plain"
    generate(plain, 400, 3)
    monkeypatch.setattr(writers, "WRITERS", writers.WRITERS + ("extra_sample_writer:IdsWriter",))
    extended = tmp_path / "extended"
    generate(extended, 400, 3)
    ids = (extended / "extra" / "ids.txt").read_text().split()
    assert len(ids) == 400 and len(set(ids)) == 400
    # the other writers' output does not change when a writer is added
    before = json.loads((plain / "sample.json").read_text())["files"]
    after = json.loads((extended / "sample.json").read_text())["files"]
    assert {k: v for k, v in after.items() if not k.startswith("extra/")} == before
    assert "extra/ids.txt" in after
    # a writer that does not write what it declares is an error, not a silent gap
    module.write_text(module.read_text().replace("'extra/ids.txt',", "'extra/ids.txt', 'extra/missing.txt'"))
    import importlib
    import extra_sample_writer
    importlib.reload(extra_sample_writer)
    with pytest.raises(RuntimeError, match="did not write extra/missing.txt"):
        generate(tmp_path / "broken", 400, 3)


@pytest.fixture
def planted():
    """Override PLANTED values for one test (restored afterwards)."""
    from pipeline.sample import simulate

    saved = dict(simulate.PLANTED)
    yield simulate.PLANTED.update
    simulate.PLANTED.clear()
    simulate.PLANTED.update(saved)


def test_default_truth_states_no_aging_and_no_productivity_dependence(sample):
    _, truth = sample
    assert truth["attachment_exponent"]["aging_years"] is None
    assert truth["author_persistence"]["switch_output_elasticity"] == 0.0


def _world(papers=3000, seed=4):
    from pipeline.sample.simulate import World

    return World(papers, seed)


def test_attachment_kernel_and_aging_are_planted(planted):
    """α and τ change who gets cited in the planted direction; the kernel path is deterministic and
    cites only papers of earlier months."""
    import numpy as np

    def cited_stats(w):
        month = w.c.year * 12 + w.c.month
        assert (month[w.cited] < month[w.citing]).all()
        age = (month[w.citing] - month[w.cited]) / 12.0
        indeg = np.bincount(w.cited, minlength=w.c.n)
        top = np.sort(indeg)[::-1][: w.c.n // 100].sum() / indeg.sum()
        return float(np.median(age)), float(top)

    planted(attachment_exponent=1.0, aging_years=None)
    age_none, _ = cited_stats(_world())
    planted(attachment_exponent=1.0, aging_years=2.0)
    first = _world()
    age_aging, _ = cited_stats(first)
    again = _world()
    assert (first.citing == again.citing).all() and (first.cited == again.cited).all()
    assert age_aging < age_none - 0.5  # recent papers are cited more when attractiveness ages
    planted(attachment_exponent=0.7, aging_years=4.0)
    _, top_low = cited_stats(_world())
    planted(attachment_exponent=1.3, aging_years=4.0)
    _, top_high = cited_stats(_world())
    assert top_high > top_low + 0.1  # super-linear attachment concentrates citations on the top 1 %


def test_switching_falls_with_recent_output_at_the_planted_mean(planted):
    """With the elasticity, teams switch more after a thin two years; the mean stay probability,
    hence the raw repeat rate, stays where persistence puts it."""
    import numpy as np

    def switches_by_recent(w):
        c = w.c
        sim = np.nonzero(c.kind == 0)[0]
        by_team = defaultdict(list)
        for i in sim.tolist():
            by_team[int(c.team[i])].append(i)
        low, high, same, pairs = [], [], 0, 0
        for papers in by_team.values():
            for j in range(1, len(papers)):
                day = c.day[papers[j]]
                recent = sum(1 for q in papers[:j] if day - 730 <= c.day[q] < day)
                switched = c.family[papers[j]] != c.family[papers[j - 1]]
                if recent <= 1:
                    low.append(switched)
                elif recent >= 3:
                    high.append(switched)
                same += not switched
                pairs += 1
        return np.mean(low), np.mean(high), same / pairs

    planted(switch_output_elasticity=0.0)
    low0, high0, same0 = switches_by_recent(_world(4000))
    planted(switch_output_elasticity=2.0)
    low2, high2, same2 = switches_by_recent(_world(4000))
    assert low2 - high2 > (low0 - high0) + 0.08, (low0, high0, low2, high2)
    assert abs(same2 - same0) < 0.03, (same0, same2)
