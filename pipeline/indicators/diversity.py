"""Methodological diversity: Rao–Stirling diversity of families per domain-year (``ind_diversity``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, write_table

SQL_DIR = Path(__file__).with_name("sql")


def family_distances(edges: list[tuple[str, str]], families: list[str]) -> np.ndarray:
    """d_ij = L/(1+L) for the undirected shortest lineage path L between families i and j (1 if none)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(families)
    graph.add_edges_from((a, b) for a, b in edges if a != b and a in graph and b in graph)
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    k = len(families)
    d = np.ones((k, k))
    for i, a in enumerate(families):
        for j, b in enumerate(families):
            steps = lengths.get(a, {}).get(b)
            d[i, j] = 0.0 if i == j else (steps / (1.0 + steps) if steps is not None else 1.0)
    return d


def rao_stirling(p: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Σ_{i≠j} d_ij p_i p_j for one distribution (k,) or replicates (b, k); d has a zero diagonal."""
    return np.einsum("...i,ij,...j->...", p, d, p)


def build_diversity(con, log) -> None:
    """ind_diversity: Rao–Stirling diversity, Gini–Simpson and mean disparity per domain-year."""
    rows = fetch_arrays(con, (SQL_DIR / "diversity_paper_weights.sql").read_text())
    families = sorted(set(rows["family"].tolist()))
    edges = con.execute("SELECT parent_family, child_family FROM fct_family_lineage").fetchall()
    d = family_distances(edges, families)
    ones = 1.0 - np.eye(len(families))
    fam_idx = np.array([families.index(f) for f in rows["family"]], dtype=np.int64) if families else np.empty(0, int)
    rng = stats.rng_for("diversity")
    cols: dict[str, list] = {k: [] for k in ("domain", "year", "n_papers", "n_families", "gini_simpson",
                                             "rao_stirling", "rao_stirling_ci_low", "rao_stirling_ci_high",
                                             "mean_disparity", "low_n")}
    keys = [f"{a}\x00{b}" for a, b in zip(rows["domain"], rows["year"])]
    bounds = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        if a == b:
            continue
        _, unit = np.unique(rows["paper_id"][a:b], return_inverse=True)
        n = int(unit.max()) + 1
        w = np.zeros((n, len(families)))
        np.add.at(w, (unit, fam_idx[a:b]), rows["weight"][a:b].astype(float))
        w /= w.sum(axis=1, keepdims=True)  # each classified paper counts once, split over its families
        p = w.sum(axis=0) / n
        reps = stats.bootstrap_weighted_shares(w, rng)
        lo, hi = stats.percentile_ci(rao_stirling(reps, d))
        present = np.flatnonzero(p > 0)
        pair_d = d[np.ix_(present, present)]
        cols["domain"].append(str(rows["domain"][a]))
        cols["year"].append(int(rows["year"][a]))
        cols["n_papers"].append(n)
        cols["n_families"].append(len(present))
        cols["gini_simpson"].append(float(rao_stirling(p, ones)))
        cols["rao_stirling"].append(float(rao_stirling(p, d)))
        cols["rao_stirling_ci_low"].append(float(lo))
        cols["rao_stirling_ci_high"].append(float(hi))
        cols["mean_disparity"].append(float(pair_d[~np.eye(len(present), dtype=bool)].mean()) if len(present) > 1
                                      else np.nan)
        cols["low_n"].append(n < stats.MIN_COUNT)
    for key in ("gini_simpson", "rao_stirling", "rao_stirling_ci_low", "rao_stirling_ci_high", "mean_disparity"):
        cols[key] = np.array(cols[key], dtype=float)
    cols["n_papers"] = np.array(cols["n_papers"], dtype=np.int64)
    cols["n_families"] = np.array(cols["n_families"], dtype=np.int64)
    cols["year"] = np.array(cols["year"], dtype=np.int32)
    cols["domain"] = np.array(cols["domain"], dtype=object)
    cols["low_n"] = np.array(cols["low_n"], dtype=bool)
    write_table(con, "ind_diversity", cols, order_by="domain, year")
    log.info("ind_diversity: %d domain-years over %d families", len(cols["domain"]), len(families))
