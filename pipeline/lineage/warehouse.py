"""Warehouse step ``build_lineage(con, ctx)``: the architecture-lineage tables and exports.

Reads stg_pwc__methods, stg_pwc__paper_methods, stg_pwc__papers (optional), int_papers and
int_method_families (from pipeline.classify.warehouse.load_taxonomy). Writes dim_methods,
fct_lineage_edges, lineage_dropped_edges, lineage_cycles, fct_method_lineage, fct_family_lineage,
fct_method_downstream_by_year, and exports lineage.graphml, family_lineage.graphml,
lineage_edges.parquet and lineage_nodes.parquet into ctx.exports_dir.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from pipeline.classify.taxonomy import load_taxonomy_file
from pipeline.lineage import graph as lg
from pipeline.warehouse.tables import create_from_arrow


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()}


def _pwc_papers_sql(con) -> str:
    """One row per PwC paper URL with its arXiv id and date (empty when staging lacks the columns)."""
    pwc_papers = _columns(con, "stg_pwc__papers")
    if {"paper_url", "date"} <= pwc_papers:
        arxiv_col = "any_value(arxiv_id)" if "arxiv_id" in pwc_papers else "NULL::VARCHAR"
        return f"SELECT paper_url, {arxiv_col} AS arxiv_id, min(date) AS date FROM stg_pwc__papers GROUP BY paper_url"
    return "SELECT NULL::VARCHAR AS paper_url, NULL::VARCHAR AS arxiv_id, NULL::DATE AS date WHERE false"


def _method_dates_sql(con) -> str:
    """SQL giving one row per PwC method with its family and the date of its introducing paper."""
    pp = _pwc_papers_sql(con)
    return f"""
        WITH m AS (
            SELECT name AS method_name, any_value(full_name) AS full_name, any_value(description) AS description,
                   min(method_url) AS method_url, any_value(paper_url) AS paper_url, max(introduced_year) AS introduced_year
            FROM stg_pwc__methods GROUP BY name),
        pp AS ({pp}),
        by_url AS (SELECT pwc_paper_url, min(paper_id) AS paper_id, min(published_date) AS published_date
                   FROM int_papers WHERE pwc_paper_url IS NOT NULL GROUP BY pwc_paper_url),
        by_arxiv AS (SELECT arxiv_id, min(paper_id) AS paper_id, min(published_date) AS published_date
                     FROM int_papers WHERE arxiv_id IS NOT NULL GROUP BY arxiv_id),
        fam AS (SELECT method_name, family FROM int_method_families WHERE is_primary),
        dated AS (
            SELECT m.*, fam.family,
                   coalesce(u.paper_id, a.paper_id) AS introducing_paper_id,
                   coalesce(u.published_date, a.published_date) AS arxiv_date,
                   pp.date AS pwc_date
            FROM m
            LEFT JOIN fam USING (method_name)
            LEFT JOIN pp ON pp.paper_url = m.paper_url
            LEFT JOIN by_url u ON u.pwc_paper_url = m.paper_url
            LEFT JOIN by_arxiv a ON a.arxiv_id = pp.arxiv_id)
        SELECT method_name, full_name, family,
               CAST(coalesce(arxiv_date, pwc_date) AS DATE) AS introduced_date,
               CAST(coalesce(year(coalesce(arxiv_date, pwc_date)), introduced_year) AS INTEGER) AS introduced_year,
               introducing_paper_id,
               CASE WHEN arxiv_date IS NOT NULL THEN 'arxiv'
                    WHEN pwc_date IS NOT NULL THEN 'pwc_paper'
                    WHEN introduced_year IS NOT NULL THEN 'introduced_year'
                    ELSE 'undated' END AS date_source,
               method_url, paper_url AS introducing_paper_url, family IS NOT NULL AS in_lineage, description
        FROM dated ORDER BY method_name
    """


def build_lineage(con, ctx) -> None:
    """Build the method-lineage graph, its tables and its GraphML/Parquet exports."""
    cfg = load_taxonomy_file().lineage
    con.execute("CREATE OR REPLACE TEMP TABLE _methods_dated AS " + _method_dates_sql(con))
    con.execute("CREATE OR REPLACE TABLE dim_methods AS SELECT * EXCLUDE (description) FROM _methods_dated")

    rows = con.execute("SELECT method_name, full_name, family, introduced_date, introduced_year, date_source, "
                       "description FROM _methods_dated WHERE in_lineage").fetchall()
    nodes = {r[0]: {"method_name": r[0], "full_name": r[1], "family": r[2], "introduced_date": r[3],
                    "introduced_year": r[4], "date_source": r[5]} for r in rows}

    # (a) the introducing paper of A uses B (PwC paper_methods); generic methods have no family -> not nodes.
    used = con.execute("""
        SELECT DISTINCT pm.method_name AS parent, m.method_name AS child
        FROM _methods_dated m JOIN stg_pwc__paper_methods pm ON pm.paper_url = m.introducing_paper_url
        WHERE m.in_lineage AND pm.method_name <> m.method_name
    """).fetchall()
    evidence: dict[tuple[str, str], set[str]] = {}
    for parent, child in used:
        if parent in nodes:
            evidence.setdefault((parent, child), set()).add("paper_methods")
    # (b) A's description names B.
    matcher = lg.NameMatcher(((n, a["full_name"]) for n, a in nodes.items()), int(cfg["min_name_length"]),
                             int(cfg["short_name_length"]), cfg["name_stoplist"])
    for child, _full, _fam, _d, _y, _s, description in rows:
        for parent in matcher.named_in(description):
            if parent != child:
                evidence.setdefault((parent, child), set()).add("description")
    candidates = [(p, c, "+".join(sorted(ev))) for (p, c), ev in sorted(evidence.items())]
    kept, dropped = lg.split_backward_edges(nodes, candidates)
    g = lg.build_graph(nodes.values(), kept)

    def edge_table(edges):
        return pa.table({
            "parent_method": [p for p, _, _ in edges], "child_method": [c for _, c, _ in edges],
            "evidence": [e for _, _, e in edges],
            "child_date": pa.array([nodes[c]["introduced_date"] for _, c, _ in edges], pa.date32()),
            "parent_date": pa.array([nodes[p]["introduced_date"] for p, _, _ in edges], pa.date32()),
            "child_year": pa.array([nodes[c]["introduced_year"] for _, c, _ in edges], pa.int32()),
            "parent_year": pa.array([nodes[p]["introduced_year"] for p, _, _ in edges], pa.int32()),
            "parent_family": [nodes[p]["family"] for p, _, _ in edges],
            "child_family": [nodes[c]["family"] for _, c, _ in edges],
        })

    create_from_arrow(con, "fct_lineage_edges", edge_table(kept), "parent_method, child_method")
    create_from_arrow(con, "lineage_dropped_edges", edge_table(dropped), "parent_method, child_method")

    cycles = lg.find_cycles(g)
    create_from_arrow(con, "lineage_cycles", pa.table({
        "cycle_id": pa.array(range(1, len(cycles) + 1), pa.int32()),
        "methods": pa.array(cycles, pa.list_(pa.string())),
        "size": pa.array([len(c) for c in cycles], pa.int32())}), "cycle_id")

    metrics = lg.method_metrics(g, int(cfg["foundation_min_descendants"]), int(cfg["foundation_max_ancestors"]))
    closure_root, closure_member = [], []
    for n in sorted(g):
        for member in [n, *sorted(lg.descendants(g, n))]:
            closure_root.append(n)
            closure_member.append(member)
    create_from_arrow(con, "_lineage_closure", pa.table({"root_method": closure_root, "member": closure_member}))
    # A using paper's year: its arXiv year when it is in the corpus, else PwC's paper date.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _method_papers AS
        WITH pm AS (SELECT paper_url, any_value(arxiv_id) AS arxiv_id, method_name
                    FROM stg_pwc__paper_methods GROUP BY paper_url, method_name),
             y AS (SELECT arxiv_id, min(year) AS year FROM int_papers WHERE arxiv_id IS NOT NULL GROUP BY arxiv_id),
             pp AS ({_pwc_papers_sql(con)})
        SELECT pm.paper_url, pm.method_name, CAST(coalesce(y.year, year(pp.date)) AS INTEGER) AS year
        FROM pm LEFT JOIN y USING (arxiv_id) LEFT JOIN pp USING (paper_url)
    """)
    papers = dict(con.execute("""
        SELECT c.root_method, count(DISTINCT p.paper_url)
        FROM _lineage_closure c JOIN _method_papers p ON p.method_name = c.member GROUP BY 1
    """).fetchall())
    names = sorted(metrics)
    create_from_arrow(con, "fct_method_lineage", pa.table({
        "method_name": names,
        "family": [nodes[n]["family"] if n in nodes else None for n in names],
        "ancestors": pa.array([metrics[n]["ancestors"] for n in names], pa.int64()),
        "descendants": pa.array([metrics[n]["descendants"] for n in names], pa.int64()),
        "direct_parents": pa.array([metrics[n]["direct_parents"] for n in names], pa.int64()),
        "direct_children": pa.array([metrics[n]["direct_children"] for n in names], pa.int64()),
        "depth": pa.array([metrics[n]["depth"] for n in names], pa.int64()),
        "downstream_papers": pa.array([papers.get(n, 0) for n in names], pa.int64()),
        "is_foundation": pa.array([metrics[n]["is_foundation"] for n in names], pa.bool_()),
        "cycle_id": pa.array([metrics[n]["cycle_id"] for n in names], pa.int32()),
    }), "method_name")

    fg = lg.family_graph(g)
    create_from_arrow(con, "fct_family_lineage", pa.table({
        "parent_family": [u for u, _ in fg.edges], "child_family": [v for _, v in fg.edges],
        "edges": pa.array([d["edges"] for _, _, d in fg.edges(data=True)], pa.int64())}),
        "parent_family, child_family")

    con.execute("""
        CREATE OR REPLACE TABLE fct_method_downstream_by_year AS
        WITH roots AS (SELECT method_name FROM fct_method_lineage WHERE descendants > 0),
        dm AS (SELECT c.root_method, d.introduced_year AS year, count(*) AS downstream_methods
               FROM _lineage_closure c JOIN roots r ON r.method_name = c.root_method
               JOIN dim_methods d ON d.method_name = c.member
               WHERE c.member <> c.root_method AND d.introduced_year IS NOT NULL GROUP BY 1, 2),
        dp AS (SELECT c.root_method, p.year, count(DISTINCT p.paper_url) AS downstream_papers
               FROM _lineage_closure c JOIN roots r ON r.method_name = c.root_method
               JOIN _method_papers p ON p.method_name = c.member
               WHERE p.year IS NOT NULL GROUP BY 1, 2)
        SELECT CAST(root_method AS VARCHAR) AS root_method, CAST(year AS INTEGER) AS year,
               coalesce(dm.downstream_methods, 0) AS downstream_methods,
               coalesce(dp.downstream_papers, 0) AS downstream_papers
        FROM dm FULL OUTER JOIN dp USING (root_method, year)
        ORDER BY root_method, year
    """)
    for tmp in ("_lineage_closure",):
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    for tmp in ("_method_papers", "_methods_dated"):
        con.execute(f"DROP TABLE IF EXISTS temp.{tmp}")

    for n, m in metrics.items():
        g.nodes[n].update(m)
    exports = Path(ctx.exports_dir)
    exports.mkdir(parents=True, exist_ok=True)
    lg.write_graphml(g, exports / "lineage.graphml")
    lg.write_graphml(fg, exports / "family_lineage.graphml")
    for table, fname in (("fct_lineage_edges", "lineage_edges.parquet"), ("fct_method_lineage", "lineage_nodes.parquet")):
        tmp = exports / (fname + ".tmp")
        quoted = "'" + str(tmp).replace("'", "''") + "'"  # a ' in MLGRAPH_HOME must not end the literal
        con.execute(f"COPY (SELECT * FROM {table}) TO {quoted} (FORMAT parquet)")
        tmp.replace(exports / fname)
    ctx.log.info("lineage: %d methods, %d edges (%d dropped as backwards in time), %d cycle groups, %d foundations",
                 g.number_of_nodes(), g.number_of_edges(), len(dropped), len(cycles),
                 sum(m["is_foundation"] for m in metrics.values()))
