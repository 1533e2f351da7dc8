"""``mlgraph lineage``: query or export the lineage graph of the PUBLISHED warehouse (read-only)."""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

from pipeline.errors import MlgraphError


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the lineage sub-commands."""
    parser.add_argument("--warehouse", help="a warehouse file other than the published one")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(sp):
        # SUPPRESS: a sub-parser default would overwrite the value given before the action.
        sp.add_argument("--warehouse", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sp.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    for name, help_text in (("ancestors", "methods a method builds on (transitively)"),
                            ("descendants", "methods built on a method (transitively)"),
                            ("show", "one method's date, family and lineage metrics")):
        sp = sub.add_parser(name, help=help_text)
        sp.add_argument("method", help="method name or full name, e.g. ViT or 'Vision Transformer'")
        common(sp)
    top = sub.add_parser("top", help="largest fan-outs: methods with the most descendants")
    top.add_argument("--limit", type=int, default=15)
    top.add_argument("--foundations", action="store_true", help="only methods flagged is_foundation")
    common(top)
    exp = sub.add_parser("export", help="write the lineage graph as GraphML (and/or Parquet edges)")
    exp.add_argument("--graphml", help="GraphML output path")
    exp.add_argument("--family", action="store_true", help="export the family-level graph instead")
    exp.add_argument("--parquet", help="Parquet edge-list output path")
    common(exp)


def load_graph(path: Path):
    """The lineage DiGraph (with node attributes) from a warehouse file opened read-only."""
    from pipeline.lineage import graph as lg
    from pipeline.warehouse.reader import open_readonly

    con = open_readonly(path, required=("dim_methods", "fct_lineage_edges", "fct_method_lineage"))
    try:
        nodes = con.execute("""
            SELECT d.method_name, d.full_name, d.family, CAST(d.introduced_date AS VARCHAR), d.introduced_year,
                   d.date_source, l.ancestors, l.descendants, l.depth, l.downstream_papers, l.is_foundation
            FROM dim_methods d JOIN fct_method_lineage l USING (method_name)""").fetchall()
        edges = con.execute("SELECT parent_method, child_method, evidence FROM fct_lineage_edges").fetchall()
    finally:
        con.close()
    keys = ("method_name", "full_name", "family", "introduced_date", "introduced_year", "date_source",
            "ancestors", "descendants", "depth", "downstream_papers", "is_foundation")
    return lg.build_graph((dict(zip(keys, row)) for row in nodes), edges)


def resolve(g, query: str) -> str:
    """The node named ``query`` (exact name, else case-insensitive name or full name)."""
    if query in g:
        return query
    from pipeline.classify.taxonomy import load_taxonomy_file

    alias = load_taxonomy_file().lineage.get("aliases", {}).get(query)
    if alias in g:
        return alias
    low = query.lower()
    for n, attrs in sorted(g.nodes(data=True)):
        if n.lower() == low or (attrs.get("full_name") or "").lower() == low:
            return n
    close = difflib.get_close_matches(query, list(g), n=5)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise MlgraphError(f"no method named {query!r} in the lineage graph{hint}")


def _row(g, n) -> dict:
    a = g.nodes[n]
    return {"method": n, "family": a.get("family"), "introduced": a.get("introduced_date") or a.get("introduced_year"),
            "date_source": a.get("date_source"), "descendants": a.get("descendants"),
            "downstream_papers": a.get("downstream_papers")}


def run(args, settings) -> int:
    """Run one lineage action against the published (or given) warehouse."""
    from pipeline.lineage import graph as lg

    path = Path(args.warehouse) if args.warehouse else settings.warehouse
    g = load_graph(path)
    if args.action in ("ancestors", "descendants"):
        n = resolve(g, args.method)
        found = lg.ancestors(g, n) if args.action == "ancestors" else lg.descendants(g, n)
        rows = sorted((_row(g, m) for m in found), key=lambda r: (str(r["introduced"] or "9999"), r["method"]))
        if args.json:
            print(json.dumps({"method": n, args.action: rows}, indent=2, default=str))
        else:
            print(f"{args.action} of {n}: {len(rows)}")
            for r in rows:
                print(f"  {str(r['introduced'] or '?'):<10}  {r['family'] or '-':<18} {r['method']}")
        return 0
    if args.action == "show":
        n = resolve(g, args.method)
        attrs = dict(g.nodes[n], method_name=n, parents=sorted(g.predecessors(n)), children=sorted(g.successors(n)))
        print(json.dumps(attrs, indent=2, default=str) if args.json
              else "\n".join(f"{k:<18} {v}" for k, v in attrs.items()))
        return 0
    if args.action == "top":
        names = [n for n in g if not args.foundations or g.nodes[n].get("is_foundation")]
        names.sort(key=lambda n: (-(g.nodes[n].get("descendants") or 0), n))
        rows = [_row(g, n) for n in names[:args.limit]]
        if args.json:
            print(json.dumps(rows, indent=2, default=str))
        else:
            print(f"{'method':<32} {'family':<18} {'descendants':>11} {'papers':>8}")
            for r in rows:
                print(f"{r['method'][:32]:<32} {r['family'] or '-':<18} {r['descendants']:>11} {r['downstream_papers']:>8}")
        return 0
    if args.action == "export":
        if not args.graphml and not args.parquet:
            raise MlgraphError("export needs --graphml PATH and/or --parquet PATH")
        target = lg.family_graph(g) if args.family else g
        if args.graphml:
            lg.write_graphml(target, Path(args.graphml))
            print(f"wrote {args.graphml} ({target.number_of_nodes()} nodes, {target.number_of_edges()} edges)")
        if args.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            edges = list(target.edges(data=True))
            pq.write_table(pa.table({"parent": [u for u, _, _ in edges], "child": [v for _, v, _ in edges],
                                     "evidence": [d.get("evidence") for _, _, d in edges],
                                     "edges": pa.array([d.get("edges") for _, _, d in edges], pa.int64())}),
                           args.parquet)
            print(f"wrote {args.parquet}")
        return 0
    raise MlgraphError(f"unknown lineage action {args.action!r}")
