"""The report: chart functions on small tables (including bad inputs) and the site on a tiny warehouse.

The browser checks of a full sample report are in test_report_browser.py (``make test-report``).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.errors import MlgraphError
from pipeline.report import charts as C

MARK = re.compile(r'id="([a-z\-]+)-mark-\d+"')


def marks(chart: C.Chart) -> int:
    return len([m for m in MARK.findall(chart.svg()) if m == chart.id])


def share_rows(domains=("nlp", "vision"), years=(2020, 2021, 2022), families=("transformer", "cnn"), low_n=False):
    rows = []
    for d in domains:
        for y in years:
            for i, f in enumerate(families):
                rows.append({"domain": d, "year": y, "family": f, "share": 0.7 if i == 0 else 0.3 / (len(families) - 1),
                             "low_n": low_n, "domain_papers": 40})
    return pd.DataFrame(rows)


def coverage_rows(domains=("nlp", "vision", "all"), years=(2020, 2021, 2022)):
    return pd.DataFrame([{"domain": d, "year": y, "classified": 36, "papers": 40} for d in domains for y in years])


def test_family_share_draws_stacks_and_coverage():
    chart = C.family_share(share_rows(), coverage_rows())
    assert not chart.empty and chart.notes == []
    assert marks(chart) >= 2 * 3          # per panel: two stacked areas and the coverage line
    assert chart.n == 36 * 3              # classified papers of the field over the drawn years
    assert "coverage" in chart.svg()


def test_an_empty_domain_year_is_a_gap_that_the_chart_states():
    shares = share_rows()
    shares = shares[~((shares["domain"] == "vision") & (shares["year"] == 2021))]
    chart = C.family_share(shares, coverage_rows())
    assert not chart.empty
    assert any("vision: no classified papers in 2021" in n for n in chart.notes)


def test_a_family_in_one_year_only_still_renders_and_is_named():
    shares = pd.concat([share_rows(), pd.DataFrame([{"domain": "nlp", "year": 2022, "family": "ssm", "share": 0.1,
                                                     "low_n": False, "domain_papers": 40}])])
    chart = C.family_share(shares, coverage_rows())
    assert "family ssm appears in one year only" in chart.notes
    assert marks(chart) > 0


def test_a_single_year_domain_is_drawn_as_bars():
    chart = C.family_share(share_rows(years=(2022,)), coverage_rows(years=(2022,)))
    assert any("one year only (2022), drawn as a bar" in n for n in chart.notes)
    assert marks(chart) >= 4


def test_an_only_low_n_table_renders_and_says_so():
    chart = C.family_share(share_rows(low_n=True), coverage_rows())
    assert marks(chart) > 0
    assert any("every domain-year is low_n" in n for n in chart.notes)
    conc = pd.DataFrame([{"domain": "nlp", "year": y, "hhi": 0.5, "hhi_ci_low": 0.4, "hhi_ci_high": 0.6,
                          "dominant_share": 0.6, "dominant_share_ci_low": 0.5, "dominant_share_ci_high": 0.7,
                          "low_n": True} for y in (2020, 2021)])
    chart = C.concentration(conc)
    assert marks(chart) > 0 and any("every domain-year is low_n" in n for n in chart.notes)


def test_empty_inputs_give_a_chart_that_states_why():
    for chart in (C.family_share(share_rows().iloc[0:0]), C.unification(pd.DataFrame(
            columns=["year", "mean_pairwise_jsd", "jsd_ci_low", "jsd_ci_high"])),
            C.cd_index(pd.DataFrame(columns=["family", "cd"]))):
        assert chart.empty and chart.notes[0].startswith("no data")
        assert marks(chart) == 0
        assert "no data" in chart.svg()


def test_a_table_without_the_needed_columns_is_a_clear_error():
    with pytest.raises(ValueError, match="lacks column"):
        C.unification(pd.DataFrame({"year": [2020]}))


def test_unification_draws_the_bias_corrected_series_when_the_table_has_it():
    uni = pd.DataFrame({"year": [2020, 2021, 2022], "mean_pairwise_jsd": [0.5, 0.4, 0.3], "jsd_ci_low": [0.4, 0.3, 0.2],
                        "jsd_ci_high": [0.6, 0.5, 0.4], "n_domains_low_n": [1, 0, 0]})
    raw = C.unification(uni)
    assert "no bias-corrected column in ind_unification: raw JSD only" in raw.notes
    corrected = C.unification(uni.assign(jsd_corrected=[0.45, 0.35, 0.25]))
    assert "bias-corrected (jsd_corrected)" in corrected.svg()
    assert marks(corrected) > marks(raw)


def test_transition_matrix_persistence_and_chance_correction():
    m = pd.DataFrame([
        ("a", "a", 8, 10), ("a", "b", 2, 10), ("b", "a", 2, 10), ("b", "b", 8, 10)],
        columns=["from_family", "to_family", "n_transitions", "from_total"])
    m["probability"] = m["n_transitions"] / m["from_total"]
    m["low_n"] = False
    chart = C.transition_matrix(m)
    assert "persistence 0.800" in chart.svg() and "kappa" not in chart.svg()
    assert chart.n == 20 and marks(chart) >= 1
    # kappa is the warehouse's (ind_lockin_kappa), drawn as given, never recomputed by the chart
    lockin = pd.DataFrame([{"persistence": 0.8, "persistence_ci_low": 0.75, "persistence_ci_high": 0.85,
                            "p_chance": 0.4, "kappa": 0.667, "kappa_ci_low": 0.6, "kappa_ci_high": 0.7}])
    assert "by chance 0.400; kappa 0.667 [0.600, 0.700]" in C.transition_matrix(m, lockin).svg()


def test_forest_plot_marks_low_n_rows_and_pa_fit_line():
    pen = pd.DataFrame({"outcome": ["papers", "citations"], "ratio": [0.7, 1.1], "ratio_ci_low": [0.6, 0.9],
                        "ratio_ci_high": [0.8, 1.3], "n_switch_events": [100, 3], "low_n": [False, True]})
    chart = C.switch_penalty(pen)
    assert "low_n" in chart.svg() and chart.n == 103
    bins = pd.DataFrame({"kind": "citations", "period": [2020] * 4, "k_mean": [1, 2, 4, 8], "dk_mean": [1, 2, 4, 8],
                         "units": [50, 20, 10, 5]})
    fit = pd.DataFrame({"kind": ["citations"], "alpha": [1.0], "alpha_ci_low": [0.9], "alpha_ci_high": [1.1],
                        "n_units": [85], "low_n": [False]})
    pa = C.preferential_attachment(bins, fit)
    assert "α = 1.00 [0.90, 1.10]" in pa.svg() and marks(pa) >= 2


def test_leaderboard_frameworks_fanout_and_cd_render():
    board = pd.DataFrame({"area": ["CV", "CV", "NLP"], "year": [2021, 2021, 2022], "family": ["cnn", "transformer", "transformer"],
                          "top_results_share": [0.4, 0.6, 1.0], "top_results_total": [5, 5, 2], "low_n": [False, False, True]})
    assert marks(C.leaderboard_dominance(board)) == 3
    fw = pd.DataFrame({"year": [2020, 2021, 2021], "framework": ["tensorflow", "pytorch", "tensorflow"],
                       "links_share": [1.0, 0.6, 0.4], "links_share_ci_low": [0.9, 0.5, 0.3],
                       "links_share_ci_high": [1.0, 0.7, 0.5], "links_total": [10, 20, 20], "low_n": [True, False, False]})
    chart = C.framework_share(fw)
    assert "framework pytorch appears in one year only" in chart.notes and chart.n == 30
    fan = pd.DataFrame({"root": ["Transformer", "Transformer", "Transformer"], "child": [None, "BERT", "ViT"],
                        "downstream": [100, 40, 30]})
    assert marks(C.lineage_fanout(fan)) >= 1
    cd = pd.DataFrame({"family": ["cnn"] * 10 + ["ssm"] * 2, "cd": [0.01 * i for i in range(12)]})
    chart = C.cd_index(cd)
    assert any("ssm" in n and "low_n" in n for n in chart.notes) and chart.n == 12


# --- the site on a tiny warehouse without the optional tables -----------------------------------
def _tiny_warehouse(path: Path) -> Path:
    """Indicator-shaped tables, but no citations and no model lineage (a young or partial build)."""
    con = duckdb.connect(str(path))
    papers = pd.DataFrame({"paper_id": [f"p{i}" for i in range(60)], "primary_domain": ["nlp", "vision"] * 30,
                           "year": [2020 + i % 3 for i in range(60)], "is_ml": True,
                           "primary_family": ["transformer", "cnn", "other"] * 20,
                           "family_provenance": "text", "published_date": pd.Timestamp("2022-12-31")})
    shares = share_rows()
    shares = pd.concat([shares, shares[shares["domain"] == "nlp"].assign(domain="all")])
    conc = pd.DataFrame([{"domain": d, "year": y, "hhi": 0.58, "hhi_ci_low": 0.5, "hhi_ci_high": 0.66,
                          "dominant_share": 0.7, "dominant_share_ci_low": 0.6, "dominant_share_ci_high": 0.8,
                          "low_n": False} for d in ("nlp", "vision", "all") for y in (2020, 2021, 2022)])
    uni = pd.DataFrame({"year": [2020, 2021, 2022], "mean_pairwise_jsd": [0.2, 0.1, 0.05], "jsd_ci_low": [0.1, 0.05, 0.0],
                        "jsd_ci_high": [0.3, 0.2, 0.1], "n_domains_low_n": 0})
    for name, frame in {"dim_papers": papers, "ind_family_share": shares, "ind_concentration": conc,
                        "ind_unification": uni}.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.close()
    return path


@pytest.fixture()
def tiny(tmp_path):
    from pipeline.config import load_settings

    settings = load_settings(env={}, home=tmp_path / "home")
    settings.warehouse.parent.mkdir(parents=True)
    _tiny_warehouse(settings.warehouse)
    return settings


def test_a_warehouse_without_optional_tables_leaves_sections_out_with_a_reason(tiny):
    from pipeline.report import build_report

    info = build_report(tiny)
    index = Path(info["index"])
    assert index == tiny.warehouse.parent / "exports" / "report" / "index.html"
    assert {c["id"] for c in info["charts"]} == {"family-share", "concentration", "unification"}
    reasons = {s["id"]: s["reason"] for s in info["skipped"]}
    assert "no model lineage" in reasons["model-fanout"]
    assert "fct_citations" in reasons["preferential-attachment"] and "fct_citations" in reasons["cd-index"]
    page = index.read_text()
    assert "Left out" in page and "no model lineage" in page
    # offline: nothing is fetched (XML namespace URIs are names, not requests)
    assert "<script" not in page and not re.search(r"""(?:src|href)=["']https?:""", page)
    for href in re.findall(r"href='(docs/[^']+)'", page):
        assert (index.parent / href).is_file(), href
    assert (index.parent / "charts" / "family-share.svg").read_text().startswith("<svg")


def test_a_failed_render_leaves_the_previous_report_in_place(tiny, monkeypatch):
    from pipeline.report import build_report, site

    first = Path(build_report(tiny)["index"])
    before = first.read_text()

    def broken(con):
        raise MlgraphError("chart exploded")

    sections = [s if s.id != "unification" else site.Section(**{**s.__dict__, "build": broken}) for s in site.SECTIONS]
    monkeypatch.setattr(site, "SECTIONS", sections)
    with pytest.raises(MlgraphError, match="chart exploded"):
        build_report(tiny)
    assert first.read_text() == before
    assert not [p for p in first.parent.parent.iterdir() if p.name.startswith(".report")]


def test_report_cli_on_a_missing_warehouse_is_one_line_exit_2(tmp_path, capsys):
    from pipeline.cli import main

    code = main(["--home", str(tmp_path), "report"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no warehouse at" in err


def test_model_fanout_is_drawn_when_the_warehouse_has_model_lineage(tiny):
    from pipeline.report import build_report

    con = duckdb.connect(str(tiny.warehouse))
    con.execute("""CREATE TABLE fct_model_lineage AS SELECT * FROM (VALUES
        ('llama', 'llama-chat'), ('llama', 'llama-code'), ('llama-chat', 'llama-chat-q4'),
        ('bert', 'distilbert')) t(base_model_id, model_id)""")
    con.close()
    info = build_report(tiny)
    model = next(c for c in info["charts"] if c["id"] == "model-fanout")
    assert not model["empty"] and model["n"] == 2 + 1          # the roots' direct children: llama 2, bert 1
    svg = (Path(info["index"]).parent / "charts" / "model-fanout.svg").read_text()
    assert "llama-chat" in svg and "distilbert" in svg
    assert "model-fanout" not in {s["id"] for s in info["skipped"]}


def test_data_docs_of_a_gate_run_show_each_table_and_its_failures(tmp_path):
    from pipeline.quality import gates, suites as S
    from pipeline.quality.data_docs import build_data_docs

    v = gates._Validator(tmp_path)
    frame = pd.DataFrame({"paper_id": ["a", "a", None]})
    v.validate("marts", "dim_x", frame, [S.Check("marts", "dim_x", "not_null", ("paper_id",)),
                                         S.Check("marts", "dim_x", "unique", ("paper_id",))], {"paper_id": "paper_id"})
    v.validate("marts", "dim_ok", pd.DataFrame({"k": [1, 2]}), [S.Check("marts", "dim_ok", "unique", ("k",))], {"k": "k"})
    v.write()
    index = build_data_docs(tmp_path)
    text = index.read_text()
    assert "2 validated table(s), 1 with failures" in text and "FAILED" in text
    page = (tmp_path / "data_docs" / "marts.dim_x.html").read_text()
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "values must never be null. 1 unexpected values found" in words
    assert "values must be unique. 2 unexpected values found" in words
    assert (tmp_path / "data_docs" / "marts.dim_ok.html").is_file()
    again = build_data_docs(tmp_path)          # rebuilding replaces the folder, leaves no temp dirs
    assert again == index and not [p for p in tmp_path.iterdir() if p.name.startswith(".data_docs")]


def test_the_report_of_another_warehouse_file_goes_beside_it_not_over_the_published_one(tiny):
    import shutil

    from pipeline.report import build_report

    copy = tiny.warehouse.with_name("candidate-1.duckdb")
    shutil.copyfile(tiny.warehouse, copy)
    info = build_report(tiny, warehouse=copy)
    assert Path(info["index"]) == tiny.warehouse.parent / "candidate-1.exports" / "report" / "index.html"
    assert not (tiny.warehouse.parent / "exports").exists()


def test_colours_are_stable_per_family_and_distinct_within_a_chart():
    fams = C.colours(["cnn", "transformer", "ssm", "other"])
    assert fams["transformer"] == C.colours(["transformer"])["transformer"] == C.PALETTE[0]
    assert len(set(fams.values())) == 4
    frameworks = C.colours(["jax", "other", "pytorch", "tensorflow"])
    assert len(set(frameworks.values())) == 4 and frameworks["jax"] == C.PALETTE[0]
