"""Bias-corrected cross-domain unification: JSD minus its expectation under one shared family mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, write_table

SQL_DIR = Path(__file__).with_name("sql")
# Permutations per year for the null expectation; its Monte-Carlo error is null_sd / sqrt(R).
NULL_PERMUTATIONS = 100


def domain_mixes(weights: np.ndarray, labels: np.ndarray, n_domains: int) -> np.ndarray:
    """(D, F) family distributions of each domain from paper rows (n, F) and their domain labels."""
    paper, family = np.nonzero(weights)
    return _sparse_mixes(labels[paper], family, weights[paper, family], n_domains, weights.shape[1])


def _sparse_mixes(row_labels: np.ndarray, row_family: np.ndarray, row_weight: np.ndarray, n_domains: int,
                  n_families: int) -> np.ndarray:
    # One bincount over the (paper, family) rows, not over the dense paper × family matrix: the
    # permutation loop runs this 100 times a year, and np.add.at over the dense rows was most of the
    # step's time. Rows in paper order add up in the same order as a column sum over papers.
    mass = np.bincount(row_labels * n_families + row_family, weights=row_weight,
                       minlength=n_domains * n_families).reshape(n_domains, n_families)
    return mass / mass.sum(axis=1, keepdims=True)


def shifted_ci(estimate: float, replicates: np.ndarray) -> tuple[float, float]:
    """Percentile interval moved by the bootstrap's own bias estimate (mean replicate − estimate).

    Resampling papers adds multinomial noise, and a plug-in divergence only grows with noise, so raw
    percentiles sit above the estimate; shifting them back keeps their spread and centres them."""
    lo, hi = stats.percentile_ci(replicates)
    bias = float(np.nanmean(replicates)) - estimate
    return float(lo) - bias, float(hi) - bias


def _year_rows(rows: dict, families: list[str]):
    """Per year: domains with ≥ MIN_COUNT classified papers, their paper × family weights and labels."""
    fam_index = {f: i for i, f in enumerate(families)}
    keys = rows["year"].astype(np.int64)
    bounds = np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1, [len(keys)]]) if len(keys) else []
    for a, b in zip(bounds[:-1], bounds[1:]):
        # Rows come sorted by (year, paper_id), so a paper's rank is a running count of id changes:
        # the order np.unique would give, without sorting strings again.
        pid = rows["paper_id"][a:b]
        first = np.concatenate([[True], pid[1:] != pid[:-1]])
        unit = np.cumsum(first) - 1
        n_papers = int(unit[-1]) + 1
        family = np.array([fam_index[f] for f in rows["family"][a:b]], dtype=np.int64)
        weight = rows["weight"][a:b].astype(float)
        cells = unit * len(families) + family
        weights = np.bincount(cells, weights=weight,
                              minlength=n_papers * len(families)).reshape(n_papers, len(families))
        paper_domain = rows["domain"][a:b][first]
        names = sorted(set(paper_domain.tolist()))
        code = {d: i for i, d in enumerate(names)}
        domain_code = np.array([code[d] for d in paper_domain], dtype=np.int64)
        is_eligible = np.bincount(domain_code, minlength=len(names)) >= stats.MIN_COUNT
        eligible = [d for d, ok in zip(names, is_eligible) if ok]
        keep = is_eligible[domain_code]
        labels = (np.cumsum(is_eligible) - 1)[domain_code[keep]]
        # the same weights as (kept paper, family, weight) rows, for the permutation null
        row_keep = keep[unit]
        sparse_rows = ((np.cumsum(keep) - 1)[unit[row_keep]], family[row_keep], weight[row_keep])
        yield int(keys[a]), eligible, weights[keep], labels, sparse_rows


def build_unification_corrected(con, log) -> None:
    """ind_unification_corrected: raw and null-corrected mean pairwise JSD per year, and change since the first year."""
    rows = fetch_arrays(con, (SQL_DIR / "unification_paper_weights.sql").read_text())
    families = sorted(set(rows["family"].tolist()))
    boot_rng, null_rng = stats.rng_for("unification_boot"), stats.rng_for("unification_null")
    out: dict[str, list] = {k: [] for k in ("year", "n_domains", "n_papers", "jsd_raw", "jsd_null_mean", "jsd_null_sd",
                                            "jsd_corrected", "corrected_ci_low", "corrected_ci_high")}
    corrected_reps = []
    for year, domains, weights, labels, (row_paper, row_family, row_weight) in _year_rows(rows, families):
        d = len(domains)
        out["year"].append(year)
        out["n_domains"].append(d)
        out["n_papers"].append(int(len(labels)))
        if d < 2:
            for key in ("jsd_raw", "jsd_null_mean", "jsd_null_sd", "jsd_corrected", "corrected_ci_low",
                        "corrected_ci_high"):
                out[key].append(np.nan)
            corrected_reps.append(np.full(stats.BOOTSTRAP_B, np.nan))
            continue
        raw = float(stats.mean_pairwise_jsd(domain_mixes(weights, labels, d)))
        # the null: one shared mix, domains keep their sizes (labels shuffled across the year's papers)
        null = stats.mean_pairwise_jsd(np.stack([
            _sparse_mixes(null_rng.permutation(labels)[row_paper], row_family, row_weight, d, len(families))
            for _ in range(NULL_PERMUTATIONS)]))
        # sampling noise of the raw value: resample papers within each domain
        reps = np.stack([stats.bootstrap_weighted_shares(weights[labels == i], boot_rng)
                         for i in range(d)], axis=1)
        with np.errstate(all="ignore"):
            reps = reps / reps.sum(axis=2, keepdims=True)
        rep_corrected = stats.mean_pairwise_jsd(reps) - null.mean()
        lo, hi = shifted_ci(raw - float(null.mean()), rep_corrected)
        out["jsd_raw"].append(raw)
        out["jsd_null_mean"].append(float(null.mean()))
        out["jsd_null_sd"].append(float(null.std(ddof=1)))
        out["jsd_corrected"].append(raw - float(null.mean()))
        out["corrected_ci_low"].append(float(lo))
        out["corrected_ci_high"].append(float(hi))
        corrected_reps.append(rep_corrected)
    # change since the first year with ≥ 2 domains; years are resampled independently
    first = next((i for i, v in enumerate(out["jsd_corrected"]) if np.isfinite(v)), None)
    change, change_lo, change_hi, excludes = [], [], [], []
    for i, value in enumerate(out["jsd_corrected"]):
        if first is None or not np.isfinite(value):
            change.append(np.nan), change_lo.append(np.nan), change_hi.append(np.nan), excludes.append(False)
            continue
        delta = value - out["jsd_corrected"][first]
        lo, hi = shifted_ci(delta, corrected_reps[i] - corrected_reps[first])
        change.append(delta)
        change_lo.append(float(lo))
        change_hi.append(float(hi))
        excludes.append(bool(i != first and (hi < 0 or lo > 0)))
    cols = {k: np.array(v, dtype=float) for k, v in out.items()
            if k not in ("year", "n_domains", "n_papers")}
    write_table(con, "ind_unification_corrected", {
        "year": np.array(out["year"], dtype=np.int32), "n_domains": np.array(out["n_domains"], dtype=np.int64),
        "n_papers": np.array(out["n_papers"], dtype=np.int64), **cols,
        "change_since_first": np.array(change, dtype=float), "change_ci_low": np.array(change_lo, dtype=float),
        "change_ci_high": np.array(change_hi, dtype=float), "change_excludes_zero": np.array(excludes, dtype=bool),
        "low_n": np.array([n < 2 for n in out["n_domains"]], dtype=bool),
    }, order_by="year")
    log.info("ind_unification_corrected: %d years", len(out["year"]))
