"""A tiny, hand-checkable lake for the warehouse tests, and a stand-in for the classify step.

Papers (arXiv): A 2101.00001 cs.CL+cs.LG (two windows, the later one wins), B 2101.00002 cs.CV,
C 2101.00003 math.CO (not ML), D 2101.00004 cs.LG+cs.CV (PwC task in Graphs), E 2101.00005
q-bio.NC+cs.LG, F 2101.00006 cs.SI alone (not ML). PwC also knows a paper without arXiv id
(pwc:pwc-only-x) and one whose arXiv id is not in the lake (2201.09999).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

from pipeline.lake import write_partition
from pipeline.warehouse.contracts import WAREHOUSE_DIR

T0 = datetime(2025, 1, 2, tzinfo=timezone.utc)
T1 = datetime(2025, 2, 2, tzinfo=timezone.utc)
PWC = "https://paperswithcode.com/paper/"

# Models this helper owns; tests copy only these so colleagues' work-in-progress cannot break them.
OWN_MODELS = {
    "staging": None,  # every staging model
    "intermediate": ["int_papers", "int_paper_domains", "int_paper_text_domains", "int_references_resolved",
                     "int_paper_model_mentions", "int_leaderboard_model_families"],
    "marts": ["dim_papers", "dim_domains", "dim_authors", "fct_authorships", "fct_paper_families",
              "fct_paper_domains", "fct_references", "fct_citations", "fct_code_links",
              "fct_leaderboard_results", "mart_family_domain_year", "rpt_identity_resolution",
              "fct_paper_citation_metrics"],
}

# The classify helper's tables, made here by one stand-in step (declared like any Python model).
STANDIN_STEP = "warehouse_fixtures:classify_standin"
FAMILY_STANDIN_YAML = {
    "int_method_families": {"method_name": "VARCHAR", "family": "VARCHAR"},
    "int_paper_text_families": {"paper_id": "VARCHAR", "primary_family": "VARCHAR", "families": "VARCHAR[]",
                                "confidence": "DOUBLE", "provenance": "VARCHAR"},
}


def copy_models(dest: Path) -> Path:
    """Copy this helper's model files and seeds into ``dest`` plus YAMLs for the stand-in tables."""
    for layer, names in OWN_MODELS.items():
        (dest / layer).mkdir(parents=True, exist_ok=True)
        for f in sorted((WAREHOUSE_DIR / layer).iterdir()):
            if f.suffix in (".sql", ".yml") and (names is None or f.stem in names):
                shutil.copy(f, dest / layer / f.name)
        if (WAREHOUSE_DIR / layer / "touched").is_dir():   # incremental models' touched-key queries
            shutil.copytree(WAREHOUSE_DIR / layer / "touched", dest / layer / "touched")
    shutil.copytree(WAREHOUSE_DIR / "seeds", dest / "seeds")
    for name, cols in FAMILY_STANDIN_YAML.items():
        lines = [f"name: {name}", "layer: intermediate", "materialized: python", f'step: "{STANDIN_STEP}"',
                 "inputs: []", "description: test stand-in for the classify helper's table", "columns:"]
        lines += [f"  {c}:\n    type: {t}\n    description: {c}" for c, t in cols.items()]
        (dest / "intermediate" / f"{name}.yml").write_text("\n".join(lines) + "\n")
    return dest


def family_standin(method_families=None, text_families=None):
    """A build step creating int_method_families and int_paper_text_families from literal rows."""
    method_families = method_families if method_families is not None else [
        ("Multi-Head Attention", "transformer"), ("Dense Connections", "mlp"), ("ResNet", "cnn")]
    text_families = text_families if text_families is not None else [
        ("2101.00002", "transformer", ["transformer"], 0.8),
        ("2101.00004", "gnn", ["gnn", "mlp"], 0.7),
        ("2101.00005", "other", [], 0.2),
    ]

    def classify_standin(con, ctx):
        con.execute("CREATE TABLE int_method_families (method_name VARCHAR, family VARCHAR)")
        if method_families:
            con.executemany("INSERT INTO int_method_families VALUES (?, ?)", method_families)
        con.execute("CREATE TABLE int_paper_text_families (paper_id VARCHAR, primary_family VARCHAR, "
                    "families VARCHAR[], confidence DOUBLE, provenance VARCHAR)")
        if text_families:
            con.executemany("INSERT INTO int_paper_text_families VALUES (?, ?, ?, ?, 'text')", text_families)

    return classify_standin


classify_standin = family_standin()


def standin_steps(standin=None) -> dict:
    """Step overrides for ``build(steps=...)``: the family stand-in with other rows."""
    return {STANDIN_STEP: standin or family_standin()}


def _paper(arxiv_id, title, categories, published, updated, authors, doi=None, window_ts=T0, oai=None):
    return {
        "arxiv_id": arxiv_id, "latest_version": 1,
        "versions": [{"version": 1, "created": datetime.combine(published, datetime.min.time(), timezone.utc), "size": "1kb"}],
        "title": title, "abstract": f"Abstract of {title}.",
        "authors": [{"keyname": k, "forenames": f, "suffix": None} for k, f in authors],
        "authors_raw": ", ".join(f"{f} {k}" for k, f in authors),
        "categories": categories, "primary_category": categories[0],
        "first_version_date": published, "last_updated_date": updated, "doi": doi,
        "journal_ref": None, "license": None, "comments": None, "report_no": None, "submitter": None,
        "oai_datestamp": oai, "record_format": "snapshot" if oai is None else "arXivRaw", "ingested_at": window_ts,
    }


def write_small_lake(lake: Path) -> None:
    """Write the small multi-source lake described in the module docstring."""
    d = date
    vaswani, shazeer, he = ("Vaswani", "Ashish"), ("Shazeer", "Noam"), ("He", "Kaiming")
    write_partition(lake, "arxiv/papers", "snapshot", [
        _paper("2101.00001", "Old title", ["cs.CL", "cs.LG"], d(2021, 1, 1), d(2021, 1, 1), [vaswani, shazeer]),
        _paper("2101.00002", "Residual B", ["cs.CV"], d(2021, 1, 2), d(2021, 1, 2), [vaswani, he]),
        _paper("2101.00003", "Graph colourings", ["math.CO"], d(2021, 1, 3), d(2021, 1, 3), [("Erdos", "Paul")]),
        _paper("2101.00004", "Graph nets D", ["cs.LG", "cs.CV"], d(2022, 3, 1), d(2022, 3, 1), [he], doi="10.1/D"),
        _paper("2101.00005", "Proteins E", ["q-bio.NC", "cs.LG"], d(2022, 5, 1), d(2022, 5, 1), [("Smith", "Jane"), ("Müller", "Jean-Pierre")]),
        _paper("2101.00006", "Social F", ["cs.SI"], d(2022, 6, 1), d(2022, 6, 1), [("Doe", "John")]),
    ])
    write_partition(lake, "arxiv/papers", "2025-01-01_2025-01-31", [
        _paper("2101.00001", "Attention A", ["cs.CL", "cs.LG"], d(2021, 1, 1), d(2025, 1, 5), [vaswani, shazeer],
               window_ts=T1, oai=d(2025, 1, 6)),
    ])
    v = "00000000000000aa"
    write_partition(lake, "pwc/papers", v, [
        {"paper_url": PWC + "a", "arxiv_id": "2101.00001", "title": "Attention A", "url_abs": "https://arxiv.org/abs/2101.00001"},
        {"paper_url": PWC + "pwc-only-x", "arxiv_id": None, "title": "A workshop paper", "date": d(2020, 6, 1)},
        {"paper_url": PWC + "not-in-lake", "arxiv_id": "2201.09999", "title": "Elsewhere", "date": d(2022, 1, 9)},
        {"paper_url": PWC + "d", "arxiv_id": "2101.00004", "title": "Graph nets D"},
    ])
    write_partition(lake, "pwc/paper_methods", v, [
        {"paper_url": PWC + "a", "arxiv_id": "2101.00001", "method_name": "Multi-Head Attention"},
        {"paper_url": PWC + "a", "arxiv_id": "2101.00001", "method_name": "Dense Connections"},
        {"paper_url": PWC + "a", "arxiv_id": "2101.00001", "method_name": "Layer Normalization"},
        # B is matched by arXiv id only (its PwC page is not in the papers dump).
        {"paper_url": PWC + "b", "arxiv_id": "2101.00002", "method_name": "ResNet"},
    ])
    write_partition(lake, "pwc/paper_tasks", v, [
        {"paper_url": PWC + "d", "arxiv_id": "2101.00004", "task": "Node Classification"},
    ])
    write_partition(lake, "pwc/eval_tasks", v, [
        {"task": "Node Classification", "categories": ["Graphs"]},
        {"task": "Machine Translation", "categories": ["Natural Language Processing"]},
        {"task": "MT subtask", "parent_task": "Machine Translation", "categories": []},
    ])
    write_partition(lake, "pwc/eval_results", v, [
        {"task": "Machine Translation", "dataset": "WMT", "row_index": 0, "model_name": "A-big",
         "paper_url": "https://arxiv.org/abs/2101.00001", "arxiv_id": "2101.00001", "metric_name": "BLEU", "metric_value": 30.0},
        {"task": "Machine Translation", "dataset": "WMT", "row_index": 0, "model_name": "A-big",
         "paper_url": "https://arxiv.org/abs/2101.00001", "arxiv_id": "2101.00001", "metric_name": "SacreBLEU", "metric_value": 29.0},
        {"task": "Machine Translation", "dataset": "WMT", "row_index": 1, "model_name": "X",
         "paper_url": PWC + "pwc-only-x", "metric_name": "BLEU", "metric_value": 28.0},
        {"task": "Machine Translation", "dataset": "WMT", "row_index": 2, "model_name": "Unknown",
         "paper_url": "", "metric_name": "BLEU", "metric_value": 20.0, "paper_date": d(2019, 1, 1)},
        {"task": "MT subtask", "dataset": "X", "row_index": 0, "model_name": "B",
         "arxiv_id": "2101.00002", "metric_name": "Acc", "metric_value": 0.9},
    ])
    write_partition(lake, "pwc/code_links", v, [
        {"paper_url": PWC + "a", "arxiv_id": "2101.00001", "repo_url": "https://github.com/x/a", "framework": "pytorch", "is_official": True},
        {"paper_url": PWC + "a", "arxiv_id": "2101.00001", "repo_url": "https://github.com/x/a-tf", "framework": "tf"},
        {"paper_url": PWC + "b", "arxiv_id": "2101.00002", "repo_url": "https://github.com/x/b", "framework": "none"},
        {"paper_url": PWC + "d", "arxiv_id": "2101.00004", "repo_url": "https://github.com/x/d", "framework": "jax"},
        {"paper_url": PWC + "zzz", "arxiv_id": None, "repo_url": "https://github.com/x/z", "framework": "mxnet"},
    ])

    def ref(citing, pos, batch_ts, s2=None, arxiv=None, doi=None):
        return {"citing_arxiv_id": citing, "position": pos, "cited_s2_paper_id": s2, "cited_arxiv_id": arxiv,
                "cited_doi": doi, "fetched_at": batch_ts}

    write_partition(lake, "semantic_scholar/references", "b1", [ref("2101.00001", 0, T0, s2="e" * 40, arxiv="2101.00005")])
    write_partition(lake, "semantic_scholar/references", "b2", [
        ref("2101.00001", 0, T1, s2="b" * 40, arxiv="2101.00002"),
        ref("2101.00001", 1, T1, s2="d" * 40, doi="10.1/d"),
        ref("2101.00001", 2, T1, s2="f" * 40),
        ref("2101.00001", 3, T1),
        ref("2101.00001", 4, T1, s2="c" * 40, arxiv="2101.00003"),
        ref("2101.00002", 0, T1, s2="a" * 40, arxiv="2101.00001"),
        ref("2101.00004", 0, T1, s2="a" * 40, arxiv="2101.00001"),
        ref("2101.00004", 1, T1, s2="b" * 40, arxiv="2101.00002"),
        ref("2101.00004", 2, T1, s2="b" * 40, arxiv="2101.00002"),
    ])
    write_partition(lake, "semantic_scholar/papers", "b2", [
        {"arxiv_id": "2101.00001", "s2_paper_id": "a" * 40, "citation_count": 10, "fetched_at": T1},
    ])
    write_partition(lake, "semantic_scholar/fetch_log", "b2", [
        {"arxiv_id": "2101.00001", "status": "found", "fetched_at": T1},
        {"arxiv_id": "2101.00002", "status": "found", "fetched_at": T1},
        {"arxiv_id": "2101.00003", "status": "not_found", "fetched_at": T1},
    ])
