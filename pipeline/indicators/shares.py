"""Family share, concentration/diversity and cross-domain unification (adoption is SQL: ind_adoption.sql)."""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import ALL_DOMAINS, family_vocabulary, load_sql, sorted_codes, write_table

ADOPTION_THRESHOLD = 0.10  # also written into ind_adoption.sql and ind_family_spread.sql
TAKEOVER_THRESHOLD = 0.50


def _family_index(family, fam_index: dict[str, int]) -> np.ndarray:
    """Index of each row's family (an Arrow string column) in ``fam_index``: -1 for NULL or a family outside it."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(family.combine_chunks())
    lookup = np.array([fam_index.get(f, -1) for f in encoded.dictionary.to_pylist()] + [-1], dtype=np.int64)
    # NULL rows have a NULL index: they take the lookup's trailing -1
    return lookup[encoded.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False).astype(np.int64)]


def build_shares(con, log) -> None:
    """ind_family_share, ind_concentration and ind_unification from paper-level fractional weights."""
    # 'other' means unclassified, not a family: shares, HHI, entropy and JSD are over classified
    # papers only, and the unclassified share is reported in its own column.
    families = [f for f in family_vocabulary(con) if f != "other"]
    fam_index = {f: i for i, f in enumerate(families)}
    n_fam = len(families)
    # ids and domains as sorted codes (their order is the strings' order, so cells, lexsorts and
    # np.unique come out as on the strings), families mapped through their dictionary: no million
    # Python strings, no per-row key strings
    table = con.sql(load_sql("paper_family_weights")).to_arrow_table()
    rows = {"year": table.column("year").to_numpy(), "weight": table.column("weight").to_numpy()}
    for name in ("paper_id", "domain"):
        rows[name], rows[name + ":values"] = sorted_codes(table.column(name), name)
    share_cols = {k: [] for k in ("year", "domain", "family", "papers_fractional", "papers_any", "domain_papers",
                                  "classified_papers", "unclassified_share",
                                  "share", "share_ci_low", "share_ci_high", "low_n")}
    conc_cols = {k: [] for k in ("year", "domain", "n_papers", "n_classified", "unclassified_share", "n_families", "hhi", "hhi_ci_low", "hhi_ci_high",
                                 "effective_families", "shannon_entropy", "pielou_evenness", "gini",
                                 "dominant_family", "dominant_share", "dominant_share_ci_low",
                                 "dominant_share_ci_high", "low_n")}
    replicates: dict[tuple[int, str], tuple[np.ndarray, np.ndarray, int]] = {}
    rng = stats.rng_for("family_share")

    fam_idx = _family_index(table.column("family"), fam_index)
    del table
    domains, domain_values = rows["domain"], rows["domain:values"]
    years = rows["year"].astype(np.int64)
    papers = rows["paper_id"]
    weights = rows["weight"].astype(float)

    def cells():
        if len(years) == 0:
            return
        # rows come ordered by (domain, year): a cell ends where either changes
        change = np.flatnonzero((domains[1:] != domains[:-1]) | (years[1:] != years[:-1])) + 1
        bounds = np.concatenate([[0], change, [len(years)]])
        for a, b in zip(bounds[:-1], bounds[1:]):
            yield str(domain_values[domains[a]]), int(years[a]), slice(a, b)
        # field-wide cells: every paper once, in its own year
        order = np.lexsort((papers, years))
        ys = years[order]
        change = np.flatnonzero(ys[1:] != ys[:-1]) + 1
        bounds = np.concatenate([[0], change, [len(ys)]])
        for a, b in zip(bounds[:-1], bounds[1:]):
            yield ALL_DOMAINS, int(ys[a]), order[a:b]

    for domain, year, sel in cells():
        pid = papers[sel]
        _, unit = np.unique(pid, return_inverse=True)
        n = int(unit.max()) + 1
        w = np.zeros((n, n_fam))
        fi = fam_idx[sel]
        ok = fi >= 0
        np.add.at(w, (unit[ok], fi[ok]), weights[sel][ok])
        w = w[w.sum(axis=1) > 0]          # classified papers only
        n_cls = w.shape[0]
        unclassified = (n - n_cls) / n if n else np.nan
        frac = w.sum(axis=0)
        anyc = (w > 0).sum(axis=0)
        share = frac / n_cls if n_cls else np.zeros(n_fam)
        reps = stats.bootstrap_weighted_shares(w, rng) if n_cls else np.full((1, n_fam), np.nan)
        lo, hi = stats.percentile_ci(reps)
        low_n = n_cls < stats.MIN_COUNT
        for f in range(n_fam):
            share_cols["year"].append(year)
            share_cols["domain"].append(domain)
            share_cols["family"].append(families[f])
            share_cols["papers_fractional"].append(frac[f])
            share_cols["papers_any"].append(int(anyc[f]))
            share_cols["domain_papers"].append(n)
            share_cols["classified_papers"].append(n_cls)
            share_cols["unclassified_share"].append(unclassified)
            share_cols["share"].append(share[f])
            share_cols["share_ci_low"].append(lo[f])
            share_cols["share_ci_high"].append(hi[f])
            share_cols["low_n"].append(low_n)
        # diversity is over the distribution of classified weight (shares renormalised to 1)
        total = frac.sum()
        dist = frac / total if total > 0 else frac
        present = int((frac > 0).sum())
        h = float(stats.shannon(dist))
        conc_hhi = float(stats.hhi(dist))
        rep_tot = reps.sum(axis=1, keepdims=True)
        with np.errstate(all="ignore"):
            rep_dist = reps / rep_tot
        hlo, hhi_hi = stats.percentile_ci(stats.hhi(rep_dist))
        dom = int(np.argmax(share))
        dlo, dhi = lo[dom], hi[dom]
        conc_cols["year"].append(year)
        conc_cols["domain"].append(domain)
        conc_cols["n_papers"].append(n)
        conc_cols["n_classified"].append(n_cls)
        conc_cols["unclassified_share"].append(unclassified)
        conc_cols["n_families"].append(present)
        conc_cols["hhi"].append(conc_hhi if total > 0 else np.nan)
        conc_cols["hhi_ci_low"].append(float(hlo))
        conc_cols["hhi_ci_high"].append(float(hhi_hi))
        conc_cols["effective_families"].append(1.0 / conc_hhi if total > 0 else np.nan)
        conc_cols["shannon_entropy"].append(h if total > 0 else np.nan)
        conc_cols["pielou_evenness"].append(h / np.log(present) if present > 1 else np.nan)
        conc_cols["gini"].append(stats.gini(frac))
        conc_cols["dominant_family"].append(families[dom] if total > 0 else None)
        conc_cols["dominant_share"].append(float(share[dom]))
        conc_cols["dominant_share_ci_low"].append(float(dlo))
        conc_cols["dominant_share_ci_high"].append(float(dhi))
        conc_cols["low_n"].append(low_n)
        if domain != ALL_DOMAINS:
            replicates[(year, domain)] = (dist, rep_dist, n)

    for key in ("share", "share_ci_low", "share_ci_high", "papers_fractional", "unclassified_share"):
        share_cols[key] = np.array(share_cols[key], dtype=float)
    write_table(con, "ind_family_share", share_cols, order_by="domain, year, family")
    for key in ("unclassified_share", "hhi", "hhi_ci_low", "hhi_ci_high", "effective_families", "shannon_entropy",
                "pielou_evenness", "gini", "dominant_share", "dominant_share_ci_low", "dominant_share_ci_high"):
        conc_cols[key] = np.array(conc_cols[key], dtype=float)
    write_table(con, "ind_concentration", conc_cols, order_by="domain, year")
    _build_unification(con, replicates, families)
    log.info("ind_family_share: %d rows", len(share_cols["year"]))


def _build_unification(con, replicates, families) -> None:
    """Mean pairwise JSD across domains with enough papers, and majority-family domains, per year."""
    cols = {k: [] for k in ("year", "n_domains", "n_domains_low_n", "mean_pairwise_jsd", "jsd_ci_low",
                            "jsd_ci_high", "n_domains_majority", "majority_family", "majority_domains")}
    for year in sorted({y for y, _ in replicates}):
        entries = sorted((d, v) for (y, d), v in replicates.items() if y == year)
        eligible = [(d, v) for d, v in entries if v[2] >= stats.MIN_COUNT and v[0].sum() > 0]
        cols["year"].append(year)
        cols["n_domains"].append(len(eligible))
        cols["n_domains_low_n"].append(len(entries) - len(eligible))
        if len(eligible) >= 2:
            point = np.stack([v[0] for _, v in eligible])
            reps = np.stack([v[1] for _, v in eligible], axis=1)  # (B, D, F)
            cols["mean_pairwise_jsd"].append(float(stats.mean_pairwise_jsd(point)))
            lo, hi = stats.percentile_ci(stats.mean_pairwise_jsd(reps))
            cols["jsd_ci_low"].append(float(lo))
            cols["jsd_ci_high"].append(float(hi))
        else:
            cols["mean_pairwise_jsd"].append(np.nan)
            cols["jsd_ci_low"].append(np.nan)
            cols["jsd_ci_high"].append(np.nan)
        majority = [(d, families[int(np.argmax(v[0]))]) for d, v in eligible if v[0].max() > TAKEOVER_THRESHOLD]
        cols["n_domains_majority"].append(len(majority))
        counts: dict[str, int] = {}
        for _, fam in majority:
            counts[fam] = counts.get(fam, 0) + 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        cols["majority_family"].append(top[0][0] if top else None)
        cols["majority_domains"].append(", ".join(f"{d}:{f}" for d, f in majority) or None)
    for key in ("mean_pairwise_jsd", "jsd_ci_low", "jsd_ci_high"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_unification", cols, order_by="year")
