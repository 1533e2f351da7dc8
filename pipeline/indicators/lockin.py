"""Groups 5 and 7: author family transitions (lock-in) and switching cost."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa

from pipeline.indicators import stats
from pipeline.indicators.db import ALL_DOMAINS, fetch_arrays, load_sql, write_table

# Years after a switch over which output is measured (docs/indicators: the penalty's window).
PENALTY_WINDOW_YEARS = 2
CAREER_STAGE_BINS = (0, 1, 2, 3, 5, 8)        # lower edges of years-since-first-paper bins
PRIOR_OUTPUT_BINS = (1, 2, 3, 5, 9, 17)       # lower edges of papers-so-far bins
RECENT_OUTPUT_BINS = (0, 1, 2, 3, 5, 8)       # lower edges of papers-in-the-2-years-before bins
# The stationary distribution extrapolates today's moves, so it is fitted on the latest years only:
# pooled over all years it mixes in the moves of a field whose leader had not yet arrived.
STATIONARY_WINDOW_YEARS = 3


def prepare_sequences(con) -> None:
    """Temp tables _ind_seq (authors' classified papers in date order) and _ind_trans (consecutive pairs)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _ind_seq AS " + load_sql("author_sequences"))
    con.execute("CREATE OR REPLACE TEMP TABLE _ind_trans AS " + load_sql("author_transitions"))


def build_lockin(con, log) -> None:
    """ind_transition_matrix, ind_lockin (persistence, Shorrocks) and ind_lockin_stationary."""
    from scipy import sparse

    t = fetch_arrays(con, """
        SELECT author_id, from_family, to_family FROM _ind_trans ORDER BY author_id, from_family, to_family
    """, codes=("author_id", "from_family", "to_family"))
    fams = sorted(set(t["from_family:values"]) | set(t["to_family:values"]))
    idx = {f: i for i, f in enumerate(fams)}
    k = len(fams)
    fi = np.array([idx[f] for f in t["from_family:values"]], dtype=np.int64)[t["from_family"]]
    ti = np.array([idx[f] for f in t["to_family:values"]], dtype=np.int64)[t["to_family"]]
    counts = np.zeros((k, k))
    np.add.at(counts, (fi, ti), 1.0)
    row_tot = counts.sum(axis=1)
    with np.errstate(all="ignore"):
        prob = counts / row_tot[:, None]

    # author-cluster bootstrap of each family's persistence and of the overall P(same)
    rng = stats.rng_for("lockin")
    _, author = np.unique(t["author_id"], return_inverse=True) if len(fi) else (None, np.empty(0, dtype=np.int64))
    same = (fi == ti).astype(float)
    n_auth = int(author.max()) + 1 if len(author) else 0
    # unit = (author, from_family): columns = one-hot from_family × (same, total)
    diag_reps = np.full((stats.BOOTSTRAP_B, k), np.nan)
    overall_reps = np.full(stats.BOOTSTRAP_B, np.nan)
    if n_auth:
        pair = author * k + fi
        upair, pinv = np.unique(pair, return_inverse=True)
        ps = np.bincount(pinv, weights=same)
        pt = np.bincount(pinv, minlength=upair.size).astype(float)
        pa_ = upair // k
        pf = upair % k
        # family × author: rows 0..k-1 the units' repeats, rows k..2k-1 their transitions, so a
        # replicate's family sums are one sparse product with its author weights (integers: exact)
        sums = sparse.csr_matrix((np.concatenate([ps, pt]), (np.concatenate([pf, pf + k]), np.concatenate([pa_, pa_]))),
                                 shape=(2 * k, n_auth))
        for r in range(stats.BOOTSTRAP_B):
            wa = np.bincount(rng.integers(0, n_auth, n_auth), minlength=n_auth).astype(float)
            s_num, s_den = np.split(sums @ wa, 2)
            with np.errstate(all="ignore"):
                diag_reps[r] = s_num / s_den
                overall_reps[r] = s_num.sum() / s_den.sum()
    dlo, dhi = stats.percentile_ci(diag_reps)

    cols = {key: [] for key in ("from_family", "to_family", "n_transitions", "from_total", "probability",
                                "is_diagonal", "persistence_ci_low", "persistence_ci_high", "low_n")}
    for i in range(k):
        for j in range(k):
            cols["from_family"].append(fams[i])
            cols["to_family"].append(fams[j])
            cols["n_transitions"].append(int(counts[i, j]))
            cols["from_total"].append(int(row_tot[i]))
            cols["probability"].append(prob[i, j])
            cols["is_diagonal"].append(i == j)
            cols["persistence_ci_low"].append(dlo[i] if i == j else np.nan)
            cols["persistence_ci_high"].append(dhi[i] if i == j else np.nan)
            cols["low_n"].append(bool(row_tot[i] < stats.MIN_COUNT))
    for key in ("probability", "persistence_ci_low", "persistence_ci_high"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_transition_matrix", cols, order_by="from_family, to_family")

    support = [i for i in range(k) if row_tot[i] >= stats.MIN_COUNT]
    sub = counts[np.ix_(support, support)]
    with np.errstate(all="ignore"):
        psub = sub / sub.sum(axis=1, keepdims=True)
    valid = np.isfinite(psub).all() and len(support) >= 2
    mobility = stats.shorrocks(psub) if valid else np.nan
    n_trans = int(counts.sum())
    olo, ohi = stats.percentile_ci(overall_reps)
    max_year = con.execute("SELECT max(year) FROM _ind_seq").fetchall()[0][0]
    write_table(con, "ind_lockin", {
        "n_authors": [n_auth], "n_transitions": [n_trans],
        "persistence": np.array([float(same.sum() / n_trans) if n_trans else np.nan]),
        "persistence_ci_low": np.array([float(olo)]), "persistence_ci_high": np.array([float(ohi)]),
        "k_families_supported": [len(support)],
        "shorrocks_mobility": np.array([mobility], dtype=float),
        "latest_year": [max_year],
    })

    _build_stationary(con, fams, max_year)
    log.info("ind_lockin: %d transitions, %d authors", n_trans, n_auth)


def _build_stationary(con, fams: list[str], max_year) -> None:
    """ind_lockin_stationary: π of the chain of the last STATIONARY_WINDOW_YEARS, with its structure flagged."""
    start = (max_year - STATIONARY_WINDOW_YEARS + 1) if max_year is not None else None
    t = fetch_arrays(con, "SELECT from_family, to_family FROM _ind_trans WHERE to_year >= ? "
                          "ORDER BY from_family, to_family", [start]) if start is not None else {"from_family": []}
    idx = {f: i for i, f in enumerate(fams)}
    counts = np.zeros((len(fams), len(fams)))
    if len(t["from_family"]):
        np.add.at(counts, ([idx[f] for f in t["from_family"]], [idx[f] for f in t["to_family"]]), 1.0)
    row_tot = counts.sum(axis=1)
    support = [i for i in range(len(fams)) if row_tot[i] >= stats.MIN_COUNT]
    sub = counts[np.ix_(support, support)]
    with np.errstate(all="ignore"):
        psub = sub / sub.sum(axis=1, keepdims=True)
    valid = np.isfinite(psub).all() and len(support) >= 2
    pi = stats.stationary_distribution(psub) if valid else np.full(len(support), np.nan)
    reducible, period = stats.chain_structure(psub) if valid else (None, None)
    # today's shares: field-wide fractional share in the latest year, renormalised over the support
    current = {r[0]: r[1] for r in con.execute(
        f"SELECT family, papers_fractional FROM ind_family_share WHERE domain = '{ALL_DOMAINS}' "
        "AND year = (SELECT max(year) FROM ind_family_share)").fetchall()} if support else {}
    cur = np.array([current.get(fams[i], 0.0) for i in support], dtype=float)
    cur = cur / cur.sum() if cur.sum() > 0 else cur
    n = len(support)
    write_table(con, "ind_lockin_stationary", {
        "family": [fams[i] for i in support],
        "stationary_share": np.asarray(pi, dtype=float),
        "current_share": cur,
        "stationary_minus_current": np.asarray(pi, dtype=float) - cur,
        "persistence": np.array([psub[a, a] for a in range(n)], dtype=float),
        "from_total": np.array([int(row_tot[i]) for i in support], dtype=np.int64),
        "window_start_year": np.full(n, start if start is not None else 0, dtype=np.int64),
        "window_end_year": np.full(n, max_year if max_year is not None else 0, dtype=np.int64),
        "chain_reducible": pa.array([reducible] * n, type=pa.bool_()),
        "chain_period": pa.array([period] * n, type=pa.int64()),
    }, order_by="stationary_share DESC")


def _bin(values: np.ndarray, edges) -> np.ndarray:
    return np.searchsorted(np.asarray(edges), values, side="right") - 1


def row_groups(columns: list[np.ndarray]) -> np.ndarray:
    """The inverse of ``np.unique(np.column_stack(columns), axis=0)``: one group id per row, in the
    rows' lexicographic order, via one mixed-radix int64 code (a row-wise unique sorts far slower)."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for col in columns:
        col = np.asarray(col, dtype=np.int64)
        lo, width = (int(col.min()), int(col.max() - col.min()) + 1) if col.size else (0, 1)
        span *= width
        if span >= 2 ** 62:
            return np.unique(np.column_stack(columns), axis=0, return_inverse=True)[1].ravel()
        code = code * width + (col - lo)
    return np.unique(code, return_inverse=True)[1].ravel()


def build_switching(con, log) -> None:
    """ind_author_switching, ind_switch_rate and ind_switch_penalty."""
    con.execute("CREATE OR REPLACE TABLE ind_author_switching AS " + load_sql("author_switching"))
    rate = fetch_arrays(con, f"""
        SELECT to_year AS year, to_domain AS domain, count(*) AS n, count(*) FILTER (WHERE is_switch) AS s
        FROM _ind_trans GROUP BY ALL
        UNION ALL
        SELECT to_year, '{ALL_DOMAINS}', count(*), count(*) FILTER (WHERE is_switch) FROM _ind_trans GROUP BY ALL
        ORDER BY 2, 1
    """)
    lo, hi = stats.proportion_cis(rate["s"], rate["n"], stats.rng_for("switch_rate"))
    n_arr = rate["n"].astype(np.int64)
    write_table(con, "ind_switch_rate", {
        "year": rate["year"], "domain": rate["domain"], "n_transitions": n_arr,
        "n_switches": rate["s"].astype(np.int64),
        "switch_rate": rate["s"] / np.maximum(n_arr, 1),
        "switch_rate_ci_low": np.array(lo), "switch_rate_ci_high": np.array(hi),
        "low_n": n_arr < stats.MIN_COUNT,
    }, order_by="domain, year")
    _build_penalty(con, log)


def penalty_events(con, window: int = PENALTY_WINDOW_YEARS) -> dict[str, np.ndarray]:
    """Switch and clean-stay events with matching keys and outcomes over the following ``window`` years.

    Each consecutive-paper transition of an author, dated t by the later paper, is a switch event
    when the family changes and a stay event when it is kept. Either kind counts only when the
    author made no switch in [t − window, t): an author still inside a recent switch's window is
    already penalised, as a control and as a treated unit alike. Outcomes use every ML paper of the
    author (classified or not) dated in (t, t + window]; events whose window ends after the last
    corpus year are dropped. ``recent_output`` counts the author's papers in [t − window, t), the
    productivity just before the event, which is what drives both switching and later output.
    """
    days = 365 * window
    return fetch_arrays(con, load_sql("penalty_events", days=days), codes=("author_id", "paper_id", "from_family"))


class MatchedRatio(NamedTuple):
    """One matched switch/stay comparison (see :func:`matched_ratio`)."""

    ratio: float
    switcher_mean: float
    matched_stayer_mean: float
    n_switch_events: int
    n_stay_events: int
    uncorrected: float
    stayer_unswitched_share: float


def _stayer_means(n_sw, y_sw, n_st, y_st, u_st, both):
    """(switcher mean, matched stayer mean, uncorrected stayer mean, ū) per row of stratum sums.

    A stay event's window often holds the stayer's own next switch, after which its output is
    penalised like a switcher's. The window count is a counting process stopped at that switch, so
    its expectation is λ·(u + r·(1 − u)) with u the window's unswitched fraction (optional
    stopping), where a switcher's is r·λ. With A = switcher mean ÷ matched stayer mean and ū the
    stayers' unswitched fraction re-weighted to the switchers' strata, r solves r = A·(ū + r·(1 − ū)):
    r = A·ū / (1 − A·(1 − ū)). ū is pooled because a per-stratum division is a ratio of two means
    of the same few stayers, whose early switchers are the prolific ones: biased low in small
    strata (0.56 for a planted 0.6 on 8,000-paper worlds; pooled 0.60). ``u_st`` None = no correction.
    """
    with np.errstate(all="ignore"):
        denom = np.where(both, n_sw, 0.0).sum(axis=-1)
        sw_mean = np.where(both, y_sw, 0.0).sum(axis=-1) / denom
        per_stratum = np.where(n_st > 0, n_st, 1.0)
        raw_st_mean = (n_sw * np.where(both, y_st / per_stratum, 0.0)).sum(axis=-1) / denom
        if u_st is None:
            return sw_mean, raw_st_mean, raw_st_mean, np.ones_like(sw_mean)
        u_bar = (n_sw * np.where(both, u_st / per_stratum, 0.0)).sum(axis=-1) / denom
        raw = sw_mean / raw_st_mean
        ratio = raw * u_bar / (1.0 - raw * (1.0 - u_bar))
        st_mean = np.where(ratio > 0, sw_mean / ratio, np.nan)
    return sw_mean, st_mean, raw_st_mean, u_bar


def matched_ratio(outcome: np.ndarray, switched: np.ndarray, stratum: np.ndarray,
                  weight: np.ndarray | None = None,
                  unswitched: np.ndarray | None = None) -> MatchedRatio:
    """Switchers' mean outcome ÷ stratum-matched stayers' mean (ATT weights).

    Uses only strata that contain both switchers and stayers; ``weight`` (bootstrap
    multiplicities) multiplies each event. With ``unswitched`` (each event's fraction of its window
    before the author's own next switch) the stayers' mean is corrected for their own later
    penalties (:func:`_stayer_means`): matched_stayer_mean is then the unpenalised one, and
    ``uncorrected`` keeps the plain ratio.
    """
    w = np.ones_like(outcome, dtype=float) if weight is None else weight
    ok = np.isfinite(outcome) & (w > 0)
    ns = int(stratum.max()) + 1 if stratum.size else 0
    sw = switched & ok
    st = (~switched) & ok
    n_sw = np.bincount(stratum[sw], weights=w[sw], minlength=ns)
    y_sw = np.bincount(stratum[sw], weights=(w * np.nan_to_num(outcome))[sw], minlength=ns)
    n_st = np.bincount(stratum[st], weights=w[st], minlength=ns)
    y_st = np.bincount(stratum[st], weights=(w * np.nan_to_num(outcome))[st], minlength=ns)
    u_st = None if unswitched is None else np.bincount(stratum[st], weights=(w * unswitched)[st], minlength=ns)
    both = (n_sw > 0) & (n_st > 0)
    if not both.any():
        return MatchedRatio(float("nan"), float("nan"), float("nan"), 0, 0, float("nan"), float("nan"))
    sw_mean, st_mean, raw_st_mean, u_bar = _stayer_means(n_sw, y_sw, n_st, y_st, u_st, both)
    in_both = both[stratum]
    ratio = sw_mean / st_mean if st_mean > 0 else float("nan")
    raw = sw_mean / raw_st_mean if raw_st_mean > 0 else float("nan")
    return MatchedRatio(float(ratio), float(sw_mean), float(st_mean), int((sw & in_both).sum()),
                        int((st & in_both).sum()), float(raw), float(u_bar))


def team_clusters(author: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Cluster id per event: connected components of authors linked by the events' shared papers.

    Co-authors publish together, so their events are not independent; resampling whole teams keeps
    that dependence in the interval (resampling authors alone made it too narrow)."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    if author.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, a = np.unique(author, return_inverse=True)
    _, p = np.unique(paper, return_inverse=True)
    n_a, n_p = int(a.max()) + 1, int(p.max()) + 1
    # bipartite author–paper graph; components over its author nodes are the teams
    graph = sparse.coo_matrix((np.ones(a.size), (a, n_a + p)), shape=(n_a + n_p, n_a + n_p))
    _, labels = connected_components(graph, directed=False)
    return labels[a].astype(np.int64)


def matched_ratio_replicates(outcome: np.ndarray, switched: np.ndarray, stratum: np.ndarray, author: np.ndarray,
                             rng: np.random.Generator, b: int = stats.BOOTSTRAP_B, chunk: int = 20,
                             unswitched: np.ndarray | None = None) -> np.ndarray:
    """Bootstrap replicates of :func:`matched_ratio`, resampling clusters (authors or teams: all their events together).

    Events are first summed per (author, stratum) into sparse author × stratum matrices, so each
    replicate is one sparse product of the authors' draw counts.
    """
    from scipy import sparse

    n_auth = int(author.max()) + 1 if author.size else 0
    if n_auth == 0:
        return np.full(b, np.nan)
    ok = np.isfinite(outcome)
    y = np.where(ok, outcome, 0.0)
    ns = int(stratum.max()) + 1

    def per_author(values):
        return sparse.csr_matrix((values, (author, stratum)), shape=(n_auth, ns)).T.tocsr()

    sw, st = (switched & ok).astype(float), (~switched & ok).astype(float)
    parts = [per_author(sw), per_author(sw * y), per_author(st), per_author(st * y)]
    if unswitched is not None:
        parts.append(per_author(st * unswitched))
    # all sums stacked: one product per block with the (author × replicate) weights; column-major,
    # so the product reads each author's weights once
    sums = sparse.vstack(parts).tocsc()
    out = []
    for start in range(0, b, chunk):
        size = min(chunk, b - start)
        draws = rng.integers(0, n_auth, size=(size, n_auth), dtype=stats.index_dtype(n_auth * size))
        w = stats.replicate_weights(draws, n_auth)
        n_sw, y_sw, n_st, y_st, *u_st = (block.T for block in np.split(sums @ w, len(parts)))
        both = (n_sw > 0) & (n_st > 0)
        sw_mean, st_mean, _, _ = _stayer_means(n_sw, y_sw, n_st, y_st, u_st[0] if u_st else None, both)
        with np.errstate(all="ignore"):
            out.append(np.where(st_mean > 0, sw_mean / st_mean, np.nan))
    return np.concatenate(out)


def _build_penalty(con, log, window: int = PENALTY_WINDOW_YEARS) -> None:
    ev = penalty_events(con, window)
    cols = {key: [] for key in ("outcome", "window_years", "ratio", "ratio_ci_low", "ratio_ci_high",
                                "ratio_uncorrected", "stayer_unswitched_share",
                                "switcher_mean", "matched_stayer_mean", "n_switch_events", "n_stay_events",
                                "n_switch_authors", "n_strata", "n_teams", "low_n")}
    switched = ev["switched"].astype(bool) if len(ev["year"]) else np.zeros(0, dtype=bool)
    if len(switched):
        _, origin = np.unique(ev["from_family"], return_inverse=True)
        stratum = row_groups([_bin(ev["career_stage"], CAREER_STAGE_BINS),
                              _bin(ev["prior_output"], PRIOR_OUTPUT_BINS),
                              _bin(ev["recent_output"], RECENT_OUTPUT_BINS),
                              origin.ravel(), ev["year"].astype(np.int64)])
        _, author = np.unique(ev["author_id"], return_inverse=True)
        team = team_clusters(ev["author_id"], ev["paper_id"])
    else:
        stratum = author = team = np.zeros(0, dtype=np.int64)
    wp = ev["window_papers"].astype(float) if len(switched) else np.zeros(0)
    wc = ev["window_citations"].astype(float) if len(switched) else np.zeros(0)
    unswitched = (np.minimum(ev["unswitched_days"].astype(float), 365.0 * window) / (365.0 * window)
                  if len(switched) else np.zeros(0))
    with np.errstate(all="ignore"):
        # (outcome, the stayers' unswitched fractions or None): only the rate has an exposure to
        # correct; citations per paper are not what the switch penalises (see docs: its bias)
        outcomes = {
            "papers_per_year": (wp / window, unswitched),
            "citations_per_paper": (np.where(wp > 0, wc / np.where(wp > 0, wp, 1), np.nan), None),
        }
    n_auth = int(author.max()) + 1 if author.size else 0
    for name, (y, u) in outcomes.items():
        m = matched_ratio(y, switched, stratum, unswitched=u)
        reps = matched_ratio_replicates(y, switched, stratum, team, stats.rng_for("penalty_" + name), unswitched=u)
        lo, hi = stats.percentile_ci(reps)
        sw_ok = switched & np.isfinite(y)
        cols["outcome"].append(name)
        cols["window_years"].append(window)
        cols["ratio"].append(m.ratio)
        cols["ratio_ci_low"].append(float(lo))
        cols["ratio_ci_high"].append(float(hi))
        cols["ratio_uncorrected"].append(m.uncorrected)
        cols["stayer_unswitched_share"].append(m.stayer_unswitched_share if u is not None else float("nan"))
        cols["switcher_mean"].append(m.switcher_mean)
        cols["matched_stayer_mean"].append(m.matched_stayer_mean)
        cols["n_switch_events"].append(m.n_switch_events)
        cols["n_stay_events"].append(m.n_stay_events)
        cols["n_switch_authors"].append(int(stats.unique_values(author[sw_ok]).size) if n_auth else 0)
        cols["n_strata"].append(int(stats.unique_values(stratum).size))
        cols["n_teams"].append(int(stats.unique_values(team).size))
        cols["low_n"].append(m.n_switch_events < stats.MIN_COUNT)
    for key in ("ratio", "ratio_ci_low", "ratio_ci_high", "ratio_uncorrected", "stayer_unswitched_share",
                "switcher_mean", "matched_stayer_mean"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_switch_penalty", cols)
    log.info("ind_switch_penalty: %s", dict(zip(cols["outcome"], cols["ratio"])))


def build_all(con, log) -> None:
    """Author sequences once, then the lock-in and switching tables."""
    prepare_sequences(con)
    build_lockin(con, log)
    build_switching(con, log)
    con.execute("DROP TABLE IF EXISTS _ind_trans")
    con.execute("DROP TABLE IF EXISTS _ind_seq")
