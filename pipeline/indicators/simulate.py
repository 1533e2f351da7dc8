"""A small simulated world written straight into mart-shaped tables, with known parameters.

Used by the indicator tests and the benchmark so the indicators can be checked against planted
values without the sample generator or the warehouse build: authors who keep their family with a
planted probability, a planted productivity penalty after a switch, a planted takeover year per
domain, and citations drawn with a planted attachment exponent (Π ∝ (k+1)^α).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa


@dataclass
class World:
    """Planted parameters of a simulated world; :func:`simulate` fills ``truth`` with its corpus counts."""

    seed: int = 7
    years: tuple[int, int] = (2012, 2025)
    domains: dict[str, int] = field(default_factory=lambda: {"nlp": 2018, "vision": 2021, "graphs": 2023})
    incumbents: dict[str, str] = field(default_factory=lambda: {"nlp": "rnn", "vision": "cnn", "graphs": "gnn"})
    newcomer: str = "transformer"
    n_authors: int = 500
    base_rate: float = 1.2              # mean papers per active author-year
    persistence: float = 0.8            # P(keep the previous family) before drawing from the field
    penalty: float = 0.6                # productivity multiplier in the window after a switch
    penalty_years: int = 2
    alpha: float = 1.0                  # attachment exponent
    refs_per_paper: int = 6
    multilabel_rate: float = 0.2
    truth: dict = field(default_factory=dict)


def planted_share(world: World, domain: str, year: int) -> float:
    """The newcomer's planted share in a domain-year: a logistic crossing 0.5 at the takeover year."""
    mid = world.domains[domain] - 0.5
    return float(0.92 / (1.0 + np.exp(-(year - mid) / 0.7)))


def simulate(world: World) -> dict[str, pa.Table]:
    """Simulate authors, papers, families, citations, code links, leaderboard and lineage tables."""
    rng = np.random.default_rng(world.seed)
    y0, y1 = world.years
    domains = list(world.domains)
    fam_pool = sorted({world.newcomer, *world.incumbents.values(), "mlp"})
    a_domain = rng.integers(0, len(domains), world.n_authors)
    a_start = rng.integers(y0, y1 - 2, world.n_authors)
    a_len = rng.integers(4, 12, world.n_authors)
    a_rate = world.base_rate * rng.gamma(4.0, 0.25, world.n_authors)
    last_family: dict[int, str] = {}
    penalty_until: dict[int, int] = {}

    papers: list[dict] = []
    for year in range(y0, y1 + 1):
        for a in range(world.n_authors):
            if not (a_start[a] <= year < a_start[a] + a_len[a]):
                continue
            rate = a_rate[a] * (world.penalty if penalty_until.get(a, -1) >= year else 1.0)
            dom = domains[a_domain[a]]
            days = np.sort(rng.integers(0, 365, rng.poisson(rate)))
            for d in days:
                s_new = planted_share(world, dom, year)
                draw = world.newcomer if rng.random() < s_new else (
                    world.incumbents[dom] if rng.random() < 0.8 else "mlp")
                prev = last_family.get(a)
                fam = prev if prev is not None and rng.random() < world.persistence else draw
                if prev is not None and fam != prev:
                    # output drops in the years after the switch year
                    penalty_until[a] = year + world.penalty_years
                last_family[a] = fam
                papers.append({"author": a, "year": year, "date": date(year, 1, 1) + timedelta(days=int(d)),
                               "domain": dom, "family": fam})
    papers.sort(key=lambda p: (p["date"], p["author"]))
    n = len(papers)
    pid = [f"{2000 + i // 100000:04d}.{i % 100000:05d}" for i in range(n)]
    year_arr = np.array([p["year"] for p in papers])

    # families (multi-label: some papers also carry a second family, weights 1/2 each)
    fam_rows = []
    for i, p in enumerate(papers):
        fams = [p["family"]]
        if rng.random() < world.multilabel_rate:
            other = [f for f in fam_pool if f != p["family"]]
            fams.append(other[rng.integers(0, len(other))])
        for j, f in enumerate(fams):
            fam_rows.append({"paper_id": pid[i], "family": f, "weight": 1.0 / len(fams), "is_primary": j == 0,
                             "provenance": "pwc", "confidence": 0.9})

    # citations: month by month, a new paper cites papers of earlier months with Π ∝ (k + 1)^α, k at
    # the month's start (the resolution the attachment fit observes; a k frozen for a whole year
    # while the fit updates it monthly would read as a flatter kernel). Own stream, so the tables
    # drawn after the citations do not depend on them.
    crng = np.random.default_rng([world.seed, 9])
    month_arr = np.array([p["date"].year * 12 + p["date"].month - 1 for p in papers])
    k = np.zeros(n)
    cites = []
    for m in np.unique(month_arr).tolist():
        new = np.flatnonzero(month_arr == m)
        n_old = int(np.searchsorted(month_arr, m))  # papers are in date order
        if n_old == 0:
            continue
        cw = np.cumsum((k[:n_old] + 1.0) ** world.alpha)
        # systematic πps per citing paper (m points (u + r)/m on the cumulative weight): paper j is
        # cited with probability m·w_j/W exactly, capped at 1, instead of the saturating repeats
        # of m draws with replacement
        m_refs = min(world.refs_per_paper, n_old)
        points = (crng.random((new.size, 1)) + np.arange(m_refs)[None, :]) / m_refs * cw[-1]
        draws = np.minimum(np.searchsorted(cw, points, side="right"), n_old - 1)
        for i, row in zip(new.tolist(), draws):
            chosen = np.unique(row)
            cites.extend((i, int(c)) for c in chosen)
            k[chosen] += 1.0

    dates = [p["date"] for p in papers]
    tables = {
        "dim_papers": pa.table({
            "paper_id": pid, "arxiv_id": pid, "title": [f"paper {i}" for i in range(n)],
            "published_date": dates, "year": year_arr.astype(np.int32),
            "primary_category": ["cs.LG"] * n, "primary_domain": [p["domain"] for p in papers],
            "primary_family": [p["family"] for p in papers], "family_confidence": [0.9] * n,
            "family_provenance": ["pwc"] * n, "is_ml": [True] * n, "in_pwc": [True] * n,
            "s2_citation_count": [0] * n,
        }),
        "fct_paper_families": pa.Table.from_pylist(fam_rows),
        "fct_paper_domains": pa.table({"paper_id": pid, "domain": [p["domain"] for p in papers],
                                       "weight": [1.0] * n, "is_primary": [True] * n}),
        "fct_authorships": pa.table({"paper_id": pid, "author_id": [f"a{p['author']}" for p in papers],
                                     "position": [1] * n, "published_date": dates,
                                     "year": year_arr.astype(np.int32)}),
        "fct_citations": pa.table({
            "citing_paper_id": [pid[i] for i, _ in cites], "cited_paper_id": [pid[j] for _, j in cites],
            "citing_date": [dates[i] for i, _ in cites], "citing_year": [int(year_arr[i]) for i, _ in cites],
            "cited_date": [dates[j] for _, j in cites], "cited_year": [int(year_arr[j]) for _, j in cites],
        }),
    }
    tables.update(_ecosystem(rng, pid, year_arr, [p["family"] for p in papers], [p["domain"] for p in papers]))
    world.truth = {"n_papers": n, "n_citations": len(cites)}
    return tables


def _ecosystem(rng, pid, year_arr, families, domains) -> dict[str, pa.Table]:
    """Code links (TensorFlow → PyTorch drift), leaderboard rows and a lineage fan-out."""
    links, board = [], []
    for i in range(len(pid)):
        y = int(year_arr[i])
        if rng.random() < 0.5:
            pt = float(np.clip((y - 2015) / 8.0, 0.05, 0.9))
            fw = rng.choice(["pytorch", "tensorflow", "jax", "other"], p=[pt, (1 - pt) * 0.8, (1 - pt) * 0.1, (1 - pt) * 0.1])
            # some repositories have no detectable framework: PwC says 'none', the mart says 'other'
            raw = "none" if rng.random() < 0.15 else str(fw)
            links.append({"paper_id": pid[i], "repo_url": f"https://github.com/x/{i}",
                          "framework": "other" if raw == "none" else str(fw), "framework_raw": raw,
                          "is_official": True, "year": y})
        if rng.random() < 0.2:
            board.append({"task": f"task-{domains[i]}", "area": domains[i], "dataset": "d", "row_index": i,
                          "model_name": f"m{i}", "paper_id": pid[i], "year": y, "family": families[i],
                          "metric_name": "acc", "metric_value": float(rng.random()),
                          "rank_in_table": int(rng.integers(1, 6))})
    for r in board:
        r["is_top"] = r["rank_in_table"] == 1
    roots = ["Transformer", "BERT", "ResNet", "LSTM"]
    down = []
    for y in range(int(year_arr.min()), int(year_arr.max()) + 1):
        for j, root in enumerate(roots):
            cnt = int(rng.poisson(2 + (y - 2012) * (3 - j)))
            if cnt:
                down.append({"root_method": root, "year": y, "downstream_methods": max(1, cnt // 3),
                             "downstream_papers": cnt})
    return {
        "fct_code_links": pa.Table.from_pylist(links),
        "fct_leaderboard_results": pa.Table.from_pylist(board),
        "fct_method_downstream_by_year": pa.Table.from_pylist(down),
        "fct_method_lineage": pa.table({"method_name": roots, "ancestors": [0, 1, 0, 0],
                                        "descendants": [40, 12, 20, 5], "depth": [0, 1, 0, 0],
                                        "downstream_papers": [100, 50, 60, 10],
                                        "is_foundation": [True, True, True, False]}),
    }


def load(con, tables: dict[str, pa.Table]) -> None:
    """Create each table in a DuckDB connection from its Arrow data, typed as its YAML declares.

    The simulated marts carry a subset of the real columns; each present column gets the type the
    warehouse build guarantees and each absent one is a typed NULL, so the indicator models see the
    schema they see in a real build.
    """
    from pipeline.warehouse.contracts import registry

    models = registry()
    for name, table in tables.items():
        declared = models[name].column_types() if name in models else {}
        select = ", ".join([f'CAST("{c}" AS {declared[c]}) AS "{c}"' if c in declared else f'"{c}"'
                            for c in table.column_names]
                           + [f'CAST(NULL AS {t}) AS "{c}"' for c, t in declared.items() if c not in table.column_names])
        con.register("_sim_tmp", table)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select} FROM _sim_tmp")
        con.unregister("_sim_tmp")
    if "fct_citations" in tables and "dim_papers" in tables and "fct_paper_citation_metrics" not in tables:
        add_citation_in_degrees(con)


def add_citation_in_degrees(con) -> None:
    """fct_paper_citation_metrics with its in_degree column (rows of fct_citations per cited paper) for a world without a build.

    The indicators read a paper's citation count from that mart, which the warehouse computes with
    PageRank; a simulated world has no graph step, so its count comes straight from the edges.
    """
    con.execute("""
        CREATE OR REPLACE TABLE fct_paper_citation_metrics AS
        SELECT p.paper_id, CAST(count(c.cited_paper_id) AS BIGINT) AS in_degree
        FROM (SELECT DISTINCT paper_id FROM dim_papers) AS p
        LEFT JOIN fct_citations AS c ON c.cited_paper_id = p.paper_id
        GROUP BY p.paper_id
    """)
