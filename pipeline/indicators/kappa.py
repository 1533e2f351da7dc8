"""Chance-corrected persistence (Cohen-style κ) of authors' architecture families: ``ind_lockin_kappa``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import ALL_DOMAINS, fetch_arrays, write_table

SQL_DIR = Path(__file__).with_name("sql")


def kappa(n_same: float, chance_sum: float, n: float) -> float:
    """κ = (P_same − P_chance)/(1 − P_chance) from totals; NaN when undefined."""
    if n <= 0:
        return float("nan")
    p_same, p_chance = n_same / n, chance_sum / n
    return float("nan") if p_chance >= 1.0 else (p_same - p_chance) / (1.0 - p_chance)


def _scope_rows(author: np.ndarray, n: np.ndarray, same: np.ndarray, chance: np.ndarray,
                rng: np.random.Generator) -> dict:
    """Point estimate and an author-cluster bootstrap interval for one scope."""
    total_n, total_same, total_chance = float(n.sum()), float(same.sum()), float(chance.sum())
    _, inverse = np.unique(author, return_inverse=True)
    n_auth = int(inverse.max()) + 1 if len(inverse) else 0
    reps = np.full(stats.BOOTSTRAP_B, np.nan)
    if n_auth:
        a_n = np.bincount(inverse, weights=n, minlength=n_auth)
        a_same = np.bincount(inverse, weights=same, minlength=n_auth)
        a_chance = np.bincount(inverse, weights=chance, minlength=n_auth)
        # resampling authors keeps each author's transitions together (they are not independent)
        w = rng.multinomial(n_auth, np.full(n_auth, 1.0 / n_auth), size=stats.BOOTSTRAP_B).astype(float)
        rn, rs, rc = w @ a_n, w @ a_same, w @ a_chance
        with np.errstate(all="ignore"):
            pc = rc / rn
            reps = (rs / rn - pc) / (1.0 - pc)
    lo, hi = stats.percentile_ci(reps)
    return {
        "n_authors": n_auth, "n_transitions": int(total_n),
        "p_same": total_same / total_n if total_n else np.nan,
        "p_chance": total_chance / total_n if total_n else np.nan,
        "kappa": kappa(total_same, total_chance, total_n),
        "kappa_ci_low": float(lo), "kappa_ci_high": float(hi),
        "low_n": bool(total_n < stats.MIN_COUNT or n_auth < stats.MIN_COUNT),
    }


def build_lockin_kappa(con, log) -> None:
    """ind_lockin_kappa: raw and chance-corrected persistence, field-wide and per domain."""
    units = fetch_arrays(con, (SQL_DIR / "lockin_kappa_units.sql").read_text())
    rng = stats.rng_for("lockin_kappa")
    author = units["author_id"]
    domain = units["domain"]
    n = units["n_transitions"].astype(float)
    same = units["n_same"].astype(float)
    chance = units["chance_sum"].astype(float)
    scopes = [(ALL_DOMAINS, np.ones(len(author), dtype=bool))]
    scopes += [(d, domain == d) for d in sorted(set(domain.tolist()))]
    cols: dict[str, list] = {"domain": []}
    for scope, mask in scopes:
        row = _scope_rows(author[mask], n[mask], same[mask], chance[mask], rng)
        cols["domain"].append(scope)
        for key, value in row.items():
            cols.setdefault(key, []).append(value)
    for key in ("p_same", "p_chance", "kappa", "kappa_ci_low", "kappa_ci_high"):
        cols[key] = np.array(cols[key], dtype=float)
    cols["n_authors"] = np.array(cols["n_authors"], dtype=np.int64)
    cols["n_transitions"] = np.array(cols["n_transitions"], dtype=np.int64)
    cols["low_n"] = np.array(cols["low_n"], dtype=bool)
    write_table(con, "ind_lockin_kappa", cols, order_by="domain")
    log.info("ind_lockin_kappa: field-wide kappa %.3f (raw persistence %.3f)", cols["kappa"][0], cols["p_same"][0])
