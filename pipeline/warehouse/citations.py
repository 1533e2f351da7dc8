"""Citation-graph metrics: degrees, external references and PageRank with SciPy sparse matrices.

Edges leave DuckDB as int32 node indices (assigned in SQL), so the graph never exists as Python
objects; 1M papers / 30M edges is a few hundred MB of NumPy arrays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.errors import MlgraphError

DAMPING = 0.85
# networkx stops when the L1 change is below n * tol; 1e-10 per node gives ranks accurate to
# far better than 1e-9 while staying ~150 iterations on large graphs.
TOL = 1e-10
MAX_ITER = 1000


def pagerank(src: np.ndarray, dst: np.ndarray, n: int, alpha: float = DAMPING, tol: float = TOL,
             max_iter: int = MAX_ITER) -> np.ndarray:
    """PageRank of an n-node graph given edge arrays, with networkx.pagerank's default semantics.

    Uniform teleport, dangling nodes' rank spread uniformly, unit weights (duplicate edges add up
    like a weighted edge would), convergence when the L1 change < n * tol.
    """
    import scipy.sparse as sp

    if n == 0:
        return np.zeros(0)
    src = np.asarray(src)
    dst = np.asarray(dst)
    out_degree = np.bincount(src, minlength=n).astype(np.float64)
    dangling = out_degree == 0
    inv_out = np.divide(1.0, out_degree, out=np.zeros(n), where=~dangling)
    # M[dst, src] = 1 / outdeg(src): x_new = alpha * (M @ x + dangling mass / n) + (1 - alpha) / n.
    m = sp.csr_array((inv_out[src], (dst, src)), shape=(n, n))
    x = np.full(n, 1.0 / n)
    teleport = (1.0 - alpha) / n
    for _ in range(max_iter):
        last = x
        x = alpha * (m @ last + last[dangling].sum() / n) + teleport
        if np.abs(x - last).sum() < n * tol:
            return x
    raise MlgraphError(f"PageRank did not converge in {max_iter} iterations (tol {tol})")


SQL_DIR = Path(__file__).with_name("sql")


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def build_citation_metrics(con, ctx) -> None:
    """Python build step: create fct_paper_citation_metrics from dim_papers, fct_citations, fct_references."""
    import pyarrow as pa

    con.execute("CREATE OR REPLACE TEMP TABLE _citation_nodes AS " + _sql("citation_nodes"))
    n = con.execute("SELECT count(*) FROM _citation_nodes").fetchall()[0][0]
    edges = con.sql(_sql("citation_edges")).to_arrow_table()
    src = edges.column("src").to_numpy()
    dst = edges.column("dst").to_numpy()
    del edges
    ctx.log.info("citation graph: %d papers, %d edges", n, len(src))
    ranks = pagerank(src, dst, n)
    metrics = pa.table({
        "idx": pa.array(np.arange(n, dtype=np.int32)),
        "in_degree": pa.array(np.bincount(dst, minlength=n).astype(np.int64)),
        "out_degree": pa.array(np.bincount(src, minlength=n).astype(np.int64)),
        "pagerank": pa.array(ranks),
    })
    del src, dst
    con.register("_citation_metrics_arrow", metrics)
    try:
        con.execute("CREATE OR REPLACE TABLE fct_paper_citation_metrics AS " + _sql("citation_metrics"))
    finally:
        con.unregister("_citation_metrics_arrow")
        con.execute("DROP TABLE IF EXISTS _citation_nodes")
