"""Benchmark: PageRank from Parquet edge files to ranks, ours against networkx, in one run.

    .venv/bin/python bench/bench_pagerank.py [--nodes 100000] [--edges 1000000 3000000] [--repeats 3]

For each size a citation-like graph (each paper cites earlier ones, skewed towards old papers) is
written as Parquet: nodes (paper_id) and edges (citing_paper_id, cited_paper_id) with string ids,
in shuffled order, as the warehouse exports them. Both sides start from those files and stop with
the same rule (L1 change < n * 1e-10, networkx's own criterion):
- ours: the build step's path: DuckDB views over the files, ``load_graph`` (node numbering and
  edge join in SQL, out as int32 Arrow columns) and ``pagerank_iterations`` (CSR once by a
  counting sort, power iteration with dangling mass, row halves in two threads), then the ids;
- networkx: pyarrow reads the files, ``DiGraph.add_edges_from``, ``nx.pagerank``.
Prints JSON per size: seconds of each side (median of --repeats for ours, one networkx run),
their ratio, where each side's time went (ours: the median run), iterations and the largest rank
difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DUCKDB_ROW_GROUP = 122_880
sys.path.insert(0, str(REPO))


def write_graph(folder: Path, nodes: int, edges: int, seed: int = 0) -> tuple[Path, Path, int]:
    """Parquet nodes and edges files of a generated graph; returns their paths and the edge count."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    per = max(1, round(edges / nodes))
    src = np.repeat(np.arange(1, nodes), per)
    dst = np.floor(src * rng.random(len(src)) ** 2).astype(np.int64)
    keep = src != dst
    pairs = np.unique(np.stack([src[keep], dst[keep]], axis=1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))]
    ids = np.array([f"p{i:08d}" for i in range(nodes)], dtype=object)
    node_path, edge_path = folder / f"nodes-{edges}.parquet", folder / f"edges-{edges}.parquet"
    # row groups of DuckDB's COPY default (122,880 rows), as the warehouse's exports have: pyarrow's
    # default puts 1M edges in one group, which a reader then scans on one thread
    pq.write_table(pa.table({"paper_id": ids[rng.permutation(nodes)]}), node_path, row_group_size=DUCKDB_ROW_GROUP)
    pq.write_table(pa.table({"citing_paper_id": ids[pairs[:, 0]], "cited_paper_id": ids[pairs[:, 1]]}), edge_path,
                   row_group_size=DUCKDB_ROW_GROUP)
    return node_path, edge_path, len(pairs)


def ours(node_path: Path, edge_path: Path, tol: float) -> tuple[float, dict, int, dict]:
    """Seconds from the files to ranks by paper id along the build's path, the ranks, the iterations and the split."""
    import duckdb

    from pipeline.warehouse.citations import load_graph, pagerank_iterations

    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"CREATE VIEW dim_papers AS SELECT paper_id FROM read_parquet('{node_path}')")
    con.execute(f"CREATE VIEW fct_citations AS SELECT * FROM read_parquet('{edge_path}')")
    t1 = time.perf_counter()
    n, src, dst = load_graph(con)
    t2 = time.perf_counter()
    ranks, iterations = pagerank_iterations(src, dst, n, tol=tol)
    t3 = time.perf_counter()
    ids = con.sql("SELECT paper_id FROM _citation_nodes ORDER BY idx").to_arrow_table().column(0)
    seconds = time.perf_counter() - t0
    con.close()
    split = {"connect_and_views": t1 - t0, "load_graph": t2 - t1, "pagerank_iterations": t3 - t2,
             "ids": t0 + seconds - t3}
    return seconds, dict(zip(ids.to_pylist(), ranks.tolist())), iterations, split


def networkx_side(node_path: Path, edge_path: Path, tol: float) -> tuple[float, dict, dict]:
    """Seconds from the same files to ranks with networkx, the ranks and the split."""
    import networkx as nx
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    nodes = pq.read_table(node_path).column("paper_id").to_pylist()
    edges = pq.read_table(edge_path)
    t1 = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(zip(edges.column("citing_paper_id").to_pylist(), edges.column("cited_paper_id").to_pylist()))
    t2 = time.perf_counter()
    ranks = nx.pagerank(g, tol=tol)
    t3 = time.perf_counter()
    return t3 - t0, ranks, {"read": t1 - t0, "graph": t2 - t1, "pagerank": t3 - t2}


def main() -> int:
    """Run both sides per graph size and print JSON."""
    import os
    import statistics

    from pipeline.warehouse.citations import TOL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="mlgraph-bench-pagerank-") as tmp:
        for m in args.edges:
            node_path, edge_path, n_edges = write_graph(Path(tmp), args.nodes, m)
            runs = [ours(node_path, edge_path, TOL) for _ in range(max(1, args.repeats))]
            ours_s = statistics.median(r[0] for r in runs)
            ours_ranks, iterations = runs[0][1], runs[0][2]
            median_run = sorted(runs, key=lambda r: r[0])[(len(runs) - 1) // 2]
            nx_s, nx_ranks, nx_split = networkx_side(node_path, edge_path, TOL)
            diff = max(abs(ours_ranks[k] - v) for k, v in nx_ranks.items())
            results.append({"nodes": args.nodes, "edges": n_edges, "ours_parquet_to_ranks_s": round(ours_s, 3),
                            "networkx_parquet_to_ranks_s": round(nx_s, 2),
                            "ratio_networkx_over_ours": round(nx_s / ours_s, 1),
                            "ours_split_s": {k: round(v, 3) for k, v in median_run[3].items()},
                            "networkx_split_s": {k: round(v, 2) for k, v in nx_split.items()},
                            "iterations": iterations,
                            "max_abs_rank_diff": diff})
    print(json.dumps({"load_average_1min": round(os.getloadavg()[0], 1), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
