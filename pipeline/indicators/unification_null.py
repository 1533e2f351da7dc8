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
    mass = np.zeros((n_domains, weights.shape[1]))
    np.add.at(mass, labels, weights)
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
        papers, unit = np.unique(rows["paper_id"][a:b], return_inverse=True)
        weights = np.zeros((len(papers), len(families)))
        np.add.at(weights, (unit, [fam_index[f] for f in rows["family"][a:b]]), rows["weight"][a:b].astype(float))
        paper_domain = np.empty(len(papers), dtype=object)
        paper_domain[unit] = rows["domain"][a:b]
        names, counts = np.unique(paper_domain.astype(str), return_counts=True)
        eligible = [d for d, c in zip(names, counts) if c >= stats.MIN_COUNT]
        keep = np.isin(paper_domain.astype(str), eligible)
        labels = np.searchsorted(np.array(eligible), paper_domain[keep].astype(str)) if eligible else np.empty(0, int)
        yield int(keys[a]), eligible, weights[keep], labels


def build_unification_corrected(con, log) -> None:
    """ind_unification_corrected: raw and null-corrected mean pairwise JSD per year, and change since the first year."""
    rows = fetch_arrays(con, (SQL_DIR / "unification_paper_weights.sql").read_text())
    families = sorted(set(rows["family"].tolist()))
    boot_rng, null_rng = stats.rng_for("unification_boot"), stats.rng_for("unification_null")
    out: dict[str, list] = {k: [] for k in ("year", "n_domains", "n_papers", "jsd_raw", "jsd_null_mean", "jsd_null_sd",
                                            "jsd_corrected", "corrected_ci_low", "corrected_ci_high")}
    corrected_reps = []
    for year, domains, weights, labels in _year_rows(rows, families):
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
        null = np.array([stats.mean_pairwise_jsd(domain_mixes(weights, null_rng.permutation(labels), d))
                         for _ in range(NULL_PERMUTATIONS)])
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
