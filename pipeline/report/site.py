"""``mlgraph report``: a self-contained static site of every headline chart, beside the warehouse.

Write–audit–publish, like the warehouse: the site is rendered into a temporary folder next to the
target, checked (every chart written, every docs link present), then swapped in with a rename,
so a failed run leaves the previous report as it was. The page has no script and no network
reference: charts are inline SVG (also saved under ``charts/``), the indicator docs are rendered
to HTML inside the site, and the quality run's Data Docs are copied in.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipeline.errors import MlgraphError
from pipeline.report import charts as C

log = logging.getLogger(__name__)

QUERIES = Path(__file__).with_name("queries")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "indicators"
REPORT_DIR = "report"


def sql(name: str) -> str:
    """The text of ``queries/<name>.sql``."""
    return (QUERIES / f"{name}.sql").read_text()


def df(con, name: str):
    """Run ``queries/<name>.sql`` and return a pandas DataFrame."""
    return con.execute(sql(name)).df()


@dataclass(frozen=True)
class Section:
    """One chart of the report: what it shows, where it is defined, and what it needs."""

    id: str
    title: str
    definition: str
    doc: str                      # page in docs/indicators/
    tables: tuple[str, ...]       # the relations it reads; a missing one leaves the section out
    build: Callable               # (con) -> Chart
    needs_citations: bool = False


def _family_share(con):
    return C.family_share(df(con, "family_share"), df(con, "coverage"))


def _attachment(con):
    import numpy as np
    import pandas as pd

    from pipeline.indicators import attachment, stats

    obs = attachment.citation_observations(con)
    frames = []
    for period in np.unique(obs["period"]):
        sel = obs["period"] == period
        x, y = obs["k"][sel] + 1.0, obs["dk"][sel]
        ids = stats.log_bins(x, attachment.BINS_PER_OCTAVE)
        uniq, inv = np.unique(ids, return_inverse=True)
        cnt = np.bincount(inv).astype(float)
        frames.append(pd.DataFrame({"kind": "citations", "period": int(period), "units": cnt,
                                    "k_mean": np.bincount(inv, weights=x) / cnt,
                                    "dk_mean": np.bincount(inv, weights=y) / cnt}))
    bins = pd.concat(frames) if frames else pd.DataFrame(columns=["kind", "period", "k_mean", "dk_mean", "units"])
    bins = bins[bins["units"] >= attachment.MIN_PER_BIN]
    fit = df(con, "attachment_fit")
    chart = C.preferential_attachment(bins, fit[fit["kind"] == "citations"])
    for _, row in fit[fit["kind"] != "citations"].iterrows():
        chart.notes.append(f"{row['kind']} (not drawn): pooled α = {row['alpha']:.2f} "
                           f"[{row['alpha_ci_low']:.2f}, {row['alpha_ci_high']:.2f}], n = {row['n_units']}"
                           + (" (low_n)" if row["low_n"] else ""))
    return chart


def _cd(con):
    frame = df(con, "cd_index")
    chart_notes = []
    if frame.empty:
        frame = df(con, "cd_index_all")
        chart_notes.append("no paper has a complete citation window yet: all papers drawn (CD biased towards 0)")
    else:
        chart_notes.append("papers with a complete citation window only")
    chart = C.cd_index(frame)
    chart.notes.extend(chart_notes)
    return chart


def _with_optional(con, query: str, joined: str, table: str) -> str:
    """The ``joined`` query when the warehouse has the optional ``table`` it reads, else ``query``."""
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()[0]
    return joined if present else query


def _model_fanout(con):
    return C.lineage_fanout(df(con, "model_fanout"), kind="model")


SECTIONS: list[Section] = [
    Section("family-share", "Family share per domain over time",
            "Share of each domain's classified ML papers per architecture family and year (fractional "
            "counting); the dashed line is coverage, the share of the domain's ML papers the classifier assigned a family.",
            "family_share", ("ind_family_share", "dim_papers"), _family_share),
    Section("concentration", "Concentration: effective number of families and dominant share",
            "Effective number of families is 1/HHI of a domain-year's family shares; the dominant share is "
            "the largest family's share; bands are bootstrap 95% intervals.",
            "concentration", ("ind_concentration", "ind_family_share"), lambda con: C.concentration(df(con, "concentration"))),
    Section("unification", "Cross-domain unification",
            "Mean pairwise Jensen-Shannon divergence between domains' family distributions per year "
            "(0 = every domain uses the same mix), with its bootstrap 95% band.",
            "unification", ("ind_unification",),
            lambda con: C.unification(df(con, _with_optional(con, "unification", "unification_corrected", "ind_unification_corrected")))),
    Section("transition-matrix", "Author family transitions (lock-in)",
            "Probability that an author's next classified paper is in family B given this one is in family A; "
            "persistence is the diagonal mass; kappa corrects it for the repeats a random draw from the "
            "previous paper's domain-year would give.",
            "lockin", ("ind_transition_matrix", "ind_lockin"),
            lambda con: C.transition_matrix(df(con, "transition_matrix"),
                                            df(con, _with_optional(con, "lockin", "lockin_kappa", "ind_lockin_kappa")))),
    Section("switch-penalty", "Switch penalty",
            "Switchers' output in the window after a family switch divided by matched stayers' "
            "(same career stage, prior output and year), with bootstrap 95% intervals.",
            "switching_cost", ("ind_switch_penalty",), lambda con: C.switch_penalty(df(con, "switch_penalty"))),
    Section("pivot-penalty", "Pivot penalty",
            "Authors' output in the 2 years after a paper, by how far its references move from the author's "
            "earlier references (pivot size), relative to the smallest pivots, with team-bootstrap 95% intervals.",
            "pivot_size", ("ind_pivot_penalty",), lambda con: C.pivot_penalty(df(con, "pivot_penalty"))),
    Section("preferential-attachment", "Preferential attachment",
            "New citations in a year against citations held before it (k + 1), binned on a log grid; the "
            "line has the pooled exponent α of Δk ∝ (k + 1)^α.",
            "preferential_attachment", ("ind_preferential_attachment", "fct_citations", "dim_papers"), _attachment,
            needs_citations=True),
    Section("leaderboard", "Leaderboard dominance",
            "Share of top-ranked leaderboard results per task area and year held by each family (top six "
            "families named, the rest pooled).",
            "leaderboard_dominance", ("ind_leaderboard_dominance",), lambda con: C.leaderboard_dominance(df(con, "leaderboard"))),
    Section("frameworks", "Framework shares",
            "Share of a year's code links (with a detected framework) per deep-learning framework, with "
            "bootstrap 95% bands.",
            "frameworks", ("ind_framework_share",), lambda con: C.framework_share(df(con, "frameworks"))),
    Section("method-fanout", "Method-lineage fan-out",
            "The six foundation methods with the most downstream papers, each followed by its largest direct "
            "descendants in the method-lineage graph.",
            "one_model_many_models", ("fct_method_lineage", "fct_lineage_edges"),
            lambda con: C.lineage_fanout(df(con, "method_fanout"))),
    Section("downstream-partition", "Downstream concentration over foundations",
            "HHI of each year's papers building on a foundation method, each paper assigned to its nearest "
            "foundation ancestor (shares sum to 1), with a 95% interval, and the three largest foundations' share.",
            "one_model_many_models", ("ind_downstream_partition",),
            lambda con: C.downstream_partition(df(con, "downstream_partition"))),
    Section("model-fanout", "Foundation-model fan-out",
            "Foundation models with the most derived models (fine-tunes, adapters, quantisations) in the model-lineage graph.",
            "one_model_many_models", ("fct_model_lineage",), _model_fanout),
    Section("cd-index", "CD index by family",
            "Distribution of the consolidation-disruption index of papers (−1 consolidating, +1 disruptive) "
            "over a 5-year citation window, per primary family.",
            "cd_index", ("ind_cd_index", "fct_citations"), _cd, needs_citations=True),
]


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def skip_reason(section: Section, tables: set[str], n_citations: int) -> str | None:
    """Why a section is left out of this warehouse's report, or None."""
    missing = [t for t in section.tables if t not in tables]
    if missing:
        if "fct_model_lineage" in missing:
            return "this warehouse has no model lineage (fct_model_lineage is not built)"
        return f"this warehouse lacks {', '.join(missing)}"
    if section.needs_citations and n_citations == 0:
        return "this warehouse has no internal citations (fct_citations is empty: no Semantic Scholar references)"
    return None


# ---------------------------------------------------------------------------------------------
def default_out(settings, warehouse: Path | None = None) -> Path:
    """``<warehouse dir>/exports/report`` of the published warehouse; beside another file's exports."""
    if warehouse is None or Path(warehouse).resolve() == Path(settings.warehouse).resolve():
        return Path(settings.warehouse).parent / "exports" / REPORT_DIR
    from pipeline.warehouse.builder import exports_for

    # a candidate or copy: its own exports folder, never the published report
    return exports_for(Path(warehouse)) / REPORT_DIR


def build_report(settings, warehouse: Path | None = None, out: Path | None = None) -> dict:
    """Render the report of ``warehouse`` into ``out`` atomically; returns paths, timings, sections."""
    from pipeline.warehouse.reader import open_readonly

    started = time.monotonic()
    warehouse = Path(warehouse or settings.warehouse)
    out = Path(out) if out else default_out(settings, warehouse)
    out.parent.mkdir(parents=True, exist_ok=True)
    _carry_forward(out)
    tmp = out.parent / f".{out.name}-tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        con = open_readonly(warehouse, required=("dim_papers",))
        try:
            info = _render(con, settings, warehouse, tmp)
        finally:
            con.close()
        _audit(tmp, info)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    info["index"] = str(out / "index.html")
    info["seconds"] = round(time.monotonic() - started, 1)
    log.info("report: %s (%d charts, %d left out, %.1f s)", info["index"], len(info["charts"]),
             len(info["skipped"]), info["seconds"])
    return info


def publish_report(published: str | None = None, cfg=None) -> str:
    """The Airflow task's step: the report of the published warehouse; returns its index.html."""
    from pipeline.config import load_settings

    cfg = cfg or load_settings()
    info = build_report(cfg, Path(published) if published else None)
    return info["index"]


def _carry_forward(out: Path) -> None:
    # Publishing a warehouse replaces exports/ wholesale (the old one becomes exports-previous/):
    # bring the previous report back first, so a failed render still leaves a report in place.
    previous = out.parent.parent / "exports-previous" / out.name
    if not out.exists() and previous.is_dir() and out.parent.name == "exports":
        shutil.copytree(previous, out)


def _swap(tmp: Path, out: Path) -> None:
    old = out.parent / f".{out.name}-old-{uuid.uuid4().hex[:8]}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def _audit(tmp: Path, info: dict) -> None:
    """Refuse to publish a site with a missing chart file or a docs link that does not resolve."""
    page = (tmp / "index.html").read_text()
    for chart in info["charts"]:
        if not (tmp / "charts" / f"{chart['id']}.svg").is_file():
            raise MlgraphError(f"report audit: chart {chart['id']} was not written")
    for _, href in re.findall(r"""href=(["'])([^"'#:]+)(?:#[^"']*)?\1""", page):
        if not (tmp / href).exists():
            raise MlgraphError(f"report audit: link {href} does not resolve inside the report")


def draw_all(con) -> tuple[dict[str, C.Chart], list[dict], dict[str, float]]:
    """Every section's chart for a warehouse connection: (charts by id, sections left out, seconds)."""
    tables = _tables(con)
    n_citations = con.execute("SELECT count(*) FROM fct_citations").fetchone()[0] if "fct_citations" in tables else 0
    drawn, skipped, timings = {}, [], {}
    for s in SECTIONS:
        reason = skip_reason(s, tables, n_citations)
        if reason:
            skipped.append({"id": s.id, "title": s.title, "reason": reason})
            continue
        t0 = time.monotonic()
        drawn[s.id] = s.build(con)
        timings[s.id] = round(time.monotonic() - t0, 2)
    return drawn, skipped, timings


def _render(con, settings, warehouse: Path, tmp: Path) -> dict:
    (tmp / "charts").mkdir()
    as_of = con.execute("SELECT max(published_date) FROM dim_papers").fetchone()[0]
    docs = _render_docs(tmp / "docs")
    figures, charts = [], []
    drawn, skipped, timings = draw_all(con)
    for s in SECTIONS:
        if s.id not in drawn:
            continue
        t0 = time.monotonic()
        chart = drawn[s.id]
        svg = chart.svg()
        chart.figure.clear()
        (tmp / "charts" / f"{s.id}.svg").write_text(svg)
        timings[s.id] = round(timings[s.id] + time.monotonic() - t0, 2)
        charts.append({"id": s.id, "n": chart.n, "empty": chart.empty, "notes": chart.notes})
        figures.append(_figure_html(s, chart, svg, as_of, docs))
    header = _header(con, settings, warehouse, tmp)
    skipped_html = "".join(f"<li><b>{html.escape(s['title'])}</b>: {html.escape(s['reason'])}</li>" for s in skipped)
    page = _PAGE.format(
        as_of=as_of, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), header=header,
        figures="\n".join(figures), toc="".join(f"<li><a href='#{c['id']}'>{html.escape(next(s.title for s in SECTIONS if s.id == c['id']))}</a></li>" for c in charts),
        skipped=f"<section id='left-out'><h2>Left out</h2><ul>{skipped_html}</ul></section>" if skipped else "")
    (tmp / "index.html").write_text(page)
    info = {"warehouse": str(warehouse), "as_of": str(as_of), "charts": charts, "skipped": skipped,
            "chart_seconds": timings}
    (tmp / "report.json").write_text(json.dumps(info, indent=1, default=str))
    return info


def _figure_html(s: Section, chart: C.Chart, svg: str, as_of, docs: set[str]) -> str:
    doc_link = (f"<a class='doc' href='docs/{s.doc}.html'>definition: docs/indicators/{s.doc}.md</a>"
                if s.doc in docs else f"<span>definition: docs/indicators/{s.doc}.md (not shipped)</span>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in chart.notes)
    n = f"n = {chart.n:,}" if chart.n else ""
    return f"""<figure class="chart" id="{s.id}" data-chart="{s.id}" data-empty="{str(chart.empty).lower()}">
<h2>{html.escape(s.title)}</h2>
<p class="def">{html.escape(s.definition)}</p>
<div class="svg">{svg}</div>
<figcaption><span class="n">{n}</span> · data as of {as_of} · {C.LOW_N_NOTE} · {doc_link} ·
<a href="charts/{s.id}.svg">SVG</a>{f"<ul class='notes'>{notes}</ul>" if notes else ""}</figcaption>
</figure>"""


def _render_docs(dest: Path) -> set[str]:
    """docs/indicators/*.md rendered to HTML under ``dest``; returns the page stems."""
    if not DOCS.is_dir():
        return set()
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    dest.mkdir(parents=True, exist_ok=True)
    stems = {p.stem for p in DOCS.glob("*.md")}
    for page in sorted(DOCS.glob("*.md")):
        body = md.render(page.read_text())
        # links between the pages point at their HTML renderings
        body = re.sub(r'href="([A-Za-z0-9_\-]+)\.md(#[^"]*)?"',
                      lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"' if m.group(1) in stems else m.group(0), body)
        (dest / f"{page.stem}.html").write_text(
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{page.stem} — mlgraph indicators"
            f"</title><style>{_DOC_CSS}</style></head><body><p><a href='../index.html'>← report</a> · "
            f"<a href='README.html'>all indicators</a></p>{body}</body></html>")
    return stems


def _rows_table(frame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _header(con, settings, warehouse: Path, tmp: Path) -> str:
    parts = [_ingested(settings), _classifier(con, warehouse), _quality(settings, tmp), _queries(con, warehouse)]
    return "\n".join(parts)


def _ingested(settings) -> str:
    from pipeline.manifest import Manifest
    from pipeline.status import collect

    entries = Manifest(settings.state).entries()
    groups: dict[tuple[str, str], dict] = {}
    for e in reversed(entries):
        # one row per kind of target: the OAI windows of a source are one line with their range
        kind = re.sub(r"\s*\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?\s*", " ", e["target"]).strip()
        g = groups.setdefault((e["source"], kind), {"ingests": 0, "rows": 0, "partitions": [], "latest": e})
        g["ingests"] += 1
        g["rows"] += sum(v for v in (e["rows"] or {}).values() if isinstance(v, int))
        if e["partition"]:
            g["partitions"].append(e["partition"])
        g["latest"] = e
    rows = []
    for (source, target), g in sorted(groups.items()):
        parts = sorted(set(g["partitions"]))
        window = f"{parts[0]} … {parts[-1]} ({len(parts)})" if len(parts) > 1 else (parts[0] if parts else "")
        latest = g["latest"]
        version = (latest.get("checksum") or "")[:12]
        rows.append(f"<tr><td>{html.escape(source)}</td><td>{html.escape(target)}</td><td>{html.escape(window)}</td>"
                    f"<td>{g['ingests']}</td><td>{g['rows']:,}</td><td>{html.escape(latest['outcome'])}</td>"
                    f"<td><code>{html.escape(version)}</code></td><td>{html.escape(str(latest.get('ended_at') or ''))}</td></tr>")
    datasets = collect(settings)["datasets"]
    lake = "".join(f"<li><code>{html.escape(k)}</code>: {d['partitions']} partition(s), latest {html.escape(str(d['latest']))}</li>"
                   for k, d in sorted(datasets.items()))
    table = ("<table><tr><th>source</th><th>target</th><th>windows / partitions</th><th>ingests</th><th>rows</th>"
             "<th>latest outcome</th><th>version (checksum)</th><th>finished</th></tr>" + "".join(rows) + "</table>"
             if rows else "<p>The ingest manifest is empty (no <code>state/manifest.sqlite</code>).</p>")
    return f"<section id='ingested'><h2>What was ingested</h2>{table}<details><summary>lake partitions</summary><ul>{lake}</ul></details></section>"


def _classifier(con, warehouse: Path) -> str:
    cov = con.execute("""SELECT count(*) FILTER (WHERE primary_family IS NOT NULL AND primary_family <> 'other'),
                                count(*) FROM dim_papers WHERE is_ml""").fetchone()
    prov = con.execute("SELECT coalesce(family_provenance, '(none)'), count(*) FROM dim_papers WHERE is_ml "
                       "GROUP BY ALL ORDER BY 2 DESC").fetchall()
    share = cov[0] / cov[1] if cov[1] else 0.0
    text = (f"<p>{cov[0]:,} of {cov[1]:,} ML papers ({share:.1%}) have an architecture family other than "
            f"<code>other</code>. By provenance: " + ", ".join(f"{html.escape(str(p))} {n:,}" for p, n in prov) + ".</p>")
    try:
        from pipeline.classify.cli import evaluate_warehouse

        rep = evaluate_warehouse(warehouse)
        text += (f"<p>Evaluation of the text classifier against PwC method labels ({rep.papers:,} papers): "
                 f"primary-family accuracy {rep.accuracy:.3f}, micro F1 {rep.micro_f1:.3f}, macro F1 {rep.macro_f1:.3f} "
                 f"(<code>mlgraph classify --evaluate</code>).</p>")
    except MlgraphError as exc:
        text += f"<p>No classifier evaluation: {html.escape(str(exc))}</p>"
    return f"<section id='classifier'><h2>Classifier coverage and evaluation</h2>{text}</section>"


def latest_gate_run(settings) -> Path | None:
    """The newest quality-gate run that passed (the one whose candidate could be published)."""
    runs = []
    for summary in (Path(settings.home) / "quality").glob("*/summary.json"):
        try:
            if json.loads(summary.read_text()).get("success"):
                runs.append(summary.parent)
        except (OSError, ValueError):
            continue
    return max(runs, key=lambda p: (p / "summary.json").stat().st_mtime) if runs else None


def _quality(settings, tmp: Path) -> str:
    run = latest_gate_run(settings)
    if run is None:
        return "<section id='quality'><h2>Quality gates</h2><p>No passing quality-gate run found under quality/.</p></section>"
    summary = (run / "summary.txt").read_text() if (run / "summary.txt").exists() else ""
    docs = run / "data_docs"
    if not docs.is_dir():
        try:
            from pipeline.quality.data_docs import build_data_docs

            build_data_docs(run)
        except Exception as exc:  # noqa: BLE001 — the report still shows the summary
            log.warning("no Data Docs for %s: %s", run, exc)
    link = ""
    if docs.is_dir():
        shutil.copytree(docs, tmp / "quality")
        link = ("<p><a href='quality/index.html'>Great Expectations Data Docs of this run</a> "
                "(GX's pages load their styles from public CDNs; offline they show unstyled).</p>")
    return (f"<section id='quality'><h2>Quality gates</h2><p>Run <code>{html.escape(run.name)}</code>:</p>"
            f"<pre>{html.escape(summary)}</pre>{link}</section>")


EXAMPLES = [("Vision's family shares since 2018", "example_family_share"),
            ("Top foundation methods by downstream papers", "example_fanout"),
            ("Field-wide lock-in", "example_lockin")]


def _queries(con, warehouse: Path) -> str:
    blocks = []
    for title, name in EXAMPLES:
        text = sql(name).strip()
        try:
            result = _rows_table(con.execute(text).df().head(5))
        except Exception as exc:  # noqa: BLE001 — an example on an older warehouse must not fail the report
            result = f"<p>(not runnable on this warehouse: {html.escape(str(exc).splitlines()[0])})</p>"
        blocks.append(f"<details><summary>{html.escape(title)}</summary><pre>{html.escape(text)}</pre>{result}</details>")
    return (f"<section id='warehouse'><h2>The warehouse</h2><p><code>{html.escape(str(Path(warehouse).resolve()))}</code>"
            f" — open it read-only: <code>duckdb -readonly {html.escape(str(Path(warehouse).resolve()))}</code> or "
            f"<code>duckdb.connect(path, read_only=True)</code>. Three example queries (click to open; run here on this "
            f"warehouse, first rows shown):</p>{''.join(blocks)}</section>")


_CSS = """body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222}
h1{margin-bottom:0}table{border-collapse:collapse;font-size:85%}td,th{padding:2px 6px;border-bottom:1px solid #ddd;
text-align:left}pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:85%}figure.chart{margin:2em 0;
border-top:2px solid #0072B2;padding-top:.5em}figure .svg svg{max-width:100%;height:auto}.def{font-style:italic}
figcaption{font-size:85%;color:#444}.notes{color:#a00}nav ul{columns:2}"""
_DOC_CSS = "body{font-family:system-ui,sans-serif;max-width:900px;margin:auto;padding:1em}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px}code{background:#f3f3f3}"
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mlgraph report — data as of {as_of}</title><style>""" + _CSS.replace("{", "{{").replace("}", "}}") + """</style></head>
<body>
<h1>mlgraph report</h1>
<p>Data as of <b>{as_of}</b> (latest paper) · generated {generated} · every number is defined in the linked
<a href="docs/README.html">indicator docs</a>.</p>
<nav><ul>{toc}</ul></nav>
{header}
{figures}
{skipped}
</body></html>
"""
