"""Pure chart functions: small DataFrames in, a :class:`Chart` (matplotlib figure + notes) out.

The report and the notebook call the same functions. Matplotlib's object API is used (no pyplot
state), so charts render the same under Airflow workers, tests and Jupyter. Every data-drawing
artist gets an SVG id ``<chart>-mark-<i>``: the browser test counts those to prove a chart has
drawn marks, not just axes. A chart whose input cannot be drawn still renders and says why in
``notes`` (shown under the chart) and on the figure itself.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

# Okabe-Ito (colour-blind safe) first, then Tableau's: 20 distinct colours, stable per name.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#ff9896", "#c5b0d5", "#98df8a",
           "#c49c94", "#aec7e8", "#ffbb78", "#393b79"]
LOW_N_NOTE = "hatched / grey = low_n (too few observations for a stable estimate)"
_RC = {"svg.fonttype": "none", "svg.hashsalt": "mlgraph", "font.size": 9, "axes.titlesize": 10,
       "axes.spines.top": False, "axes.spines.right": False}


@dataclass
class Chart:
    """One rendered chart: its figure, the n it was drawn from and notes about its input."""

    id: str
    title: str
    figure: Figure
    n: int = 0
    notes: list[str] = field(default_factory=list)
    empty: bool = False

    def svg(self) -> str:
        """The figure as standalone SVG text (text kept as text, deterministic ids)."""
        buf = io.StringIO()
        with rc_context(_RC):
            # constrained layout already fits the labels; bbox_inches="tight" would draw twice
            self.figure.savefig(buf, format="svg", metadata={"Date": None})
        text = buf.getvalue()
        return text[text.index("<svg"):]

    def _repr_svg_(self) -> str:  # Jupyter shows the chart inline
        return self.svg()


def colours(families) -> dict[str, str]:
    """A stable colour per name: taxonomy families in the taxonomy's order, then others sorted."""
    from pipeline.classify.taxonomy import FAMILIES

    names = set(families)
    if not names & (set(FAMILIES) - {"other"}):  # frameworks, domains: the palette in name order
        return {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(sorted(names))}
    order = [f for f in FAMILIES if f in names] + sorted(names - set(FAMILIES))
    fixed = {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(FAMILIES)}
    rest = iter(PALETTE[len(FAMILIES):] + PALETTE)
    return {f: fixed.get(f) or next(rest) for f in order}


def _figure(width: float = 8.0, height: float = 3.6) -> Figure:
    with rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _finish(chart_id: str, title: str, fig: Figure, n: int, notes: list[str]) -> Chart:
    """Tag every data artist with an SVG id and return the Chart."""
    i = 0
    for ax in fig.axes:
        if getattr(ax, "_mlgraph_decoration", False):
            continue
        for artist in list(ax.collections) + list(ax.patches) + list(ax.lines) + list(ax.images):
            if artist.get_gid() == "decoration":
                continue
            artist.set_gid(f"{chart_id}-mark-{i}")
            i += 1
    for note in notes:
        if note.startswith("no data"):
            fig.text(0.5, 0.5, note, ha="center", va="center", fontsize=11, color="#a00")
    return Chart(id=chart_id, title=title, figure=fig, n=int(n), notes=notes, empty=i == 0)


def empty_chart(chart_id: str, title: str, reason: str) -> Chart:
    """A chart that only states why there is nothing to draw."""
    fig = _figure(6, 1.2)
    return _finish(chart_id, title, fig, 0, [f"no data: {reason}"])


def _require(df: pd.DataFrame | None, columns: list[str], chart_id: str) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame(columns=columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"chart {chart_id}: input lacks column(s) {missing}")
    return df


def _grid(n_panels: int, width: float = 10.0, panel_h: float = 2.6, cols: int = 3):
    cols = max(1, min(cols, n_panels))
    rows = math.ceil(n_panels / cols)
    fig = _figure(width, panel_h * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
        ax._mlgraph_decoration = True
    return fig, axes[:n_panels]


def _low_n_band(ax, x) -> None:
    span = ax.axvspan(x - 0.5, x + 0.5, color="#ccc", alpha=0.5, hatch="///", lw=0)
    span.set_gid("decoration")


def _one_year_families(df: pd.DataFrame, key: str = "family") -> list[str]:
    years = df.groupby(key)["year"].nunique()
    return sorted(years[years == 1].index)


# ---------------------------------------------------------------------------------------------
def family_share(shares: pd.DataFrame, coverage: pd.DataFrame | None = None) -> Chart:
    """Stacked family shares per domain and year (classified papers), coverage as a line.

    ``shares``: domain, year, family, share, low_n. ``coverage``: domain, year, classified, papers.
    """
    cid, title = "family-share", "Architecture-family share per domain over time"
    shares = _require(shares, ["domain", "year", "family", "share", "low_n"], cid)
    shares = shares[shares["share"].notna()]
    if shares.empty:
        return empty_chart(cid, title, "no domain-year has classified papers")
    notes = []
    domains = sorted(shares["domain"].unique(), key=lambda d: (d == "all", d))
    cmap = colours(shares["family"])
    # one stacking order everywhere (largest overall at the bottom) so panels compare
    global_order = list(shares.groupby("family")["share"].sum().sort_values(ascending=False).index)
    fig, axes = _grid(len(domains))
    for ax, domain in zip(axes, domains):
        d = shares[shares["domain"] == domain]
        years = np.arange(int(d["year"].min()), int(d["year"].max()) + 1)
        wide = d.pivot_table(index="year", columns="family", values="share", aggfunc="sum").reindex(years)
        gaps = [int(y) for y in years[wide.isna().all(axis=1).to_numpy()]]
        if gaps:
            notes.append(f"{domain}: no classified papers in {', '.join(map(str, gaps))} (left as a gap)")
        # shares over classified papers: renormalise so the stack is the classified population
        wide = wide.fillna(0.0)
        total = wide.sum(axis=1).replace(0, np.nan)
        wide = wide.div(total, axis=0).fillna(0.0)
        order = [f for f in global_order if f in wide.columns]
        if len(years) == 1:
            bottom = 0.0
            for fam in order:
                ax.bar(years, wide[fam], bottom=bottom, color=cmap[fam], width=0.6, label=fam)
                bottom = bottom + wide[fam].to_numpy()
            notes.append(f"{domain}: one year only ({years[0]}), drawn as a bar")
        else:
            ax.stackplot(years, *[wide[f].to_numpy() for f in order], colors=[cmap[f] for f in order],
                         labels=list(order), alpha=0.9)
        low = d.groupby("year")["low_n"].any()
        for y in low[low].index:
            _low_n_band(ax, int(y))
        if coverage is not None and len(coverage):
            c = coverage[coverage["domain"] == domain].set_index("year").reindex(years)
            cov = (c["classified"] / c["papers"].replace(0, np.nan)).to_numpy(dtype=float)
            ax.plot(years, cov, color="black", ls="--", lw=1.2, marker=".", label="coverage")
        ax.set_title(domain)
        ax.set_ylim(0, 1)
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for fam in _one_year_families(shares):
        notes.append(f"family {fam} appears in one year only")
    fig.legend(*_merge_legends(axes), loc="outside right upper", fontsize=8)
    fig.supylabel("share of classified papers")
    if shares["low_n"].all():
        notes.append("every domain-year is low_n: shares are indicative only")
    n = 0
    if coverage is not None and len(coverage):
        drawn = coverage[(coverage["domain"] == "all") & coverage["year"].isin(shares["year"].unique())]
        n = int(drawn["classified"].sum())
    return _finish(cid, title, fig, n, notes)


def _merge_legends(axes):
    seen = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    return list(seen.values()), list(seen.keys())


def _band(ax, x, y, lo, hi, colour, label, low_n=None):
    ax.fill_between(x, lo, hi, color=colour, alpha=0.2, lw=0)
    ax.plot(x, y, color=colour, marker="o", ms=3, label=label)
    if low_n is not None and np.any(low_n):
        ax.scatter(np.asarray(x)[low_n], np.asarray(y)[low_n], facecolors="white", edgecolors=colour,
                   s=28, zorder=3, label="low_n" if label else None)


def concentration(conc: pd.DataFrame) -> Chart:
    """Effective number of families (1/HHI) and dominant share per domain, with 95% bands.

    ``conc``: domain, year, hhi, hhi_ci_low, hhi_ci_high, dominant_share, dominant_share_ci_low,
    dominant_share_ci_high, low_n. The effective number's band is 1/HHI's (HHI's interval inverted).
    """
    cid, title = "concentration", "Effective number of families and dominant share"
    cols = ["domain", "year", "hhi", "hhi_ci_low", "hhi_ci_high", "dominant_share", "dominant_share_ci_low",
            "dominant_share_ci_high", "low_n"]
    conc = _require(conc, cols, cid)
    conc = conc[conc["hhi"].notna() & (conc["hhi"] > 0)].sort_values("year")
    if conc.empty:
        return empty_chart(cid, title, "no domain-year with classified papers")
    notes = []
    domains = sorted(conc["domain"].unique(), key=lambda d: (d != "all", d))
    cols = min(6, len(domains))
    rows = math.ceil(len(domains) / cols)
    fig = _figure(11, 1.9 * 2 * rows + 0.8)
    top, bottom = fig.subfigures(2, 1)
    blocks = []
    for sub, label in ((top, "effective number of families (1/HHI)"), (bottom, "dominant family's share")):
        sub.suptitle(label, fontsize=10)
        axes = sub.subplots(rows, cols, squeeze=False, sharey=True).ravel()
        for ax in axes[len(domains):]:
            ax.set_visible(False)
            ax._mlgraph_decoration = True
        blocks.append(axes)
    for i, domain in enumerate(domains):
        d = conc[conc["domain"] == domain]
        x = d["year"].to_numpy()
        low = d["low_n"].to_numpy(dtype=bool)
        colour = PALETTE[0] if domain != "all" else PALETTE[7]
        with np.errstate(divide="ignore"):
            _band(blocks[0][i], x, 1 / d["hhi"], 1 / d["hhi_ci_high"].clip(lower=1e-9),
                  1 / d["hhi_ci_low"].clip(lower=1e-9), colour, domain, low)
        _band(blocks[1][i], x, d["dominant_share"], d["dominant_share_ci_low"], d["dominant_share_ci_high"],
              colour, domain, low)
        for ax in (blocks[0][i], blocks[1][i]):
            ax.set_title(domain, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.xaxis.get_major_locator().set_params(integer=True, nbins=3)
        blocks[1][i].set_ylim(0, 1)
        if len(x) == 1:
            notes.append(f"{domain}: one year only ({x[0]})")
    if conc["low_n"].any():
        notes.append("open markers: low_n domain-years")
    if conc["low_n"].all():
        notes.append("every domain-year is low_n: indicative only")
    return _finish(cid, title, fig, len(conc), notes)


def unification(uni: pd.DataFrame) -> Chart:
    """Mean pairwise Jensen-Shannon divergence between domains per year, raw and bias-corrected.

    ``uni``: year, mean_pairwise_jsd, jsd_ci_low, jsd_ci_high, n_domains_low_n; a bias-corrected
    series is drawn when a column named like ``*corrected*`` / ``*debiased*`` exists (with its
    ``_ci_low`` / ``_ci_high`` when present).
    """
    cid, title = "unification", "Cross-domain unification (mean pairwise JSD; lower = more unified)"
    uni = _require(uni, ["year", "mean_pairwise_jsd", "jsd_ci_low", "jsd_ci_high"], cid)
    uni = uni[uni["mean_pairwise_jsd"].notna()].sort_values("year")
    if uni.empty:
        return empty_chart(cid, title, "fewer than two domains with papers in every year")
    notes = []
    fig = _figure(8, 3.4)
    ax = fig.subplots()
    x = uni["year"].to_numpy()
    low = (uni["n_domains_low_n"] > 0).to_numpy() if "n_domains_low_n" in uni else None
    _band(ax, x, uni["mean_pairwise_jsd"], uni["jsd_ci_low"], uni["jsd_ci_high"], PALETTE[0], "raw", low)
    corrected = [c for c in uni.columns if re.search(r"corrected|debiased", c) and not c.endswith(("_ci_low", "_ci_high"))]
    if corrected:
        c = corrected[0]
        lo = uni.get(f"{c}_ci_low", uni[c])
        hi = uni.get(f"{c}_ci_high", uni[c])
        _band(ax, x, uni[c], lo, hi, PALETTE[5], f"bias-corrected ({c})")
    else:
        notes.append("no bias-corrected column in ind_unification: raw JSD only")
    if low is not None and low.any():
        notes.append("open markers: a year where some domain is low_n")
    if len(x) == 1:
        notes.append(f"one year only ({x[0]})")
    ax.set_ylabel("mean pairwise JSD (bits)")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    return _finish(cid, title, fig, len(uni), notes)


def transition_matrix(matrix: pd.DataFrame, lockin: pd.DataFrame | None = None) -> Chart:
    """Heat map of P(next paper's family | this paper's family), persistence and chance-corrected.

    ``matrix``: from_family, to_family, probability, n_transitions, from_total, low_n. ``lockin``:
    ind_lockin's row, with ind_lockin_kappa's p_chance, kappa and its interval when present
    (docs/indicators/lockin.md defines them; the chart computes no estimator of its own).
    """
    cid, title = "transition-matrix", "Author family transition matrix"
    matrix = _require(matrix, ["from_family", "to_family", "probability", "n_transitions", "from_total", "low_n"], cid)
    if matrix.empty or matrix["n_transitions"].sum() == 0:
        return empty_chart(cid, title, "no author has two consecutive classified papers")
    notes = []
    fams = sorted(set(matrix["from_family"]) | set(matrix["to_family"]))
    p = matrix.pivot_table(index="from_family", columns="to_family", values="probability", aggfunc="sum")
    p = p.reindex(index=fams, columns=fams).fillna(0.0)
    counts = matrix.pivot_table(index="from_family", columns="to_family", values="n_transitions", aggfunc="sum")
    counts = counts.reindex(index=fams, columns=fams).fillna(0.0)
    n = counts.to_numpy().sum()
    observed = np.trace(counts.to_numpy()) / n
    fig = _figure(7.5, 6.2)
    ax = fig.subplots()
    im = ax.imshow(p.to_numpy(), cmap="Blues", vmin=0, vmax=1)
    low_rows = set(matrix.loc[matrix["low_n"].astype(bool), "from_family"])
    for i, f in enumerate(fams):
        for j, t in enumerate(fams):
            v = p.iloc[i, j]
            ax.text(j, i, f"{v:.2f}" if v else "", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.5 else "black")
        if f in low_rows:
            ax.add_patch(_hatch_row(i, len(fams)))
    ax.set_xticks(range(len(fams)), fams, rotation=45, ha="right")
    ax.set_yticks(range(len(fams)), [f + (" (low_n)" if f in low_rows else "") for f in fams])
    ax.set_xlabel("family of the author's next paper")
    ax.set_ylabel("family of this paper")
    cbar = fig.colorbar(im, ax=ax, shrink=0.8, label="transition probability")
    cbar.ax._mlgraph_decoration = True
    title_text = f"persistence {observed:.3f}"
    if lockin is not None and len(lockin) and {"persistence_ci_low", "persistence_ci_high"} <= set(lockin.columns):
        row = lockin.iloc[0]
        title_text = (f"persistence {row['persistence']:.3f} [{row['persistence_ci_low']:.3f}, "
                      f"{row['persistence_ci_high']:.3f}]")
        if "kappa" in lockin.columns and pd.notna(row["kappa"]):
            title_text += (f"; by chance {row['p_chance']:.3f}; kappa {row['kappa']:.3f} "
                           f"[{row['kappa_ci_low']:.3f}, {row['kappa_ci_high']:.3f}]")
        else:
            notes.append("no chance-corrected persistence in this warehouse (ind_lockin_kappa)")
    ax.set_title(title_text)
    if low_rows:
        notes.append(f"hatched rows are low_n: {', '.join(sorted(low_rows))}")
    return _finish(cid, title, fig, int(n), notes)


def _hatch_row(i: int, width: int):
    from matplotlib.patches import Rectangle

    rect = Rectangle((-0.5, i - 0.5), width, 1, fill=False, hatch="///", edgecolor="#999", lw=0)
    rect.set_gid("decoration")
    return rect


def switch_penalty(penalty: pd.DataFrame) -> Chart:
    """Forest plot of switchers' output relative to matched stayers (ratio with 95% CI).

    ``penalty``: outcome, ratio, ratio_ci_low, ratio_ci_high, n_switch_events, low_n; one row per
    domain when a ``domain`` column exists (rows labelled ``domain · outcome``).
    """
    cid, title = "switch-penalty", "Switch penalty: switchers vs matched stayers"
    penalty = _require(penalty, ["outcome", "ratio", "ratio_ci_low", "ratio_ci_high", "n_switch_events", "low_n"], cid)
    penalty = penalty[penalty["ratio"].notna()]
    if penalty.empty:
        return empty_chart(cid, title, "no switch event with a matched stayer")
    notes = []
    labels = (penalty["domain"].astype(str) + " · " + penalty["outcome"]) if "domain" in penalty else penalty["outcome"]
    if "domain" not in penalty:
        notes.append("ind_switch_penalty has no domain breakdown: one row per outcome, field-wide")
    fig = _figure(7.5, 0.5 * len(penalty) + 1.4)
    ax = fig.subplots()
    y = np.arange(len(penalty))
    low = penalty["low_n"].astype(bool).to_numpy()
    r = penalty["ratio"].to_numpy(dtype=float)
    err = np.vstack([r - penalty["ratio_ci_low"].to_numpy(dtype=float), penalty["ratio_ci_high"].to_numpy(dtype=float) - r])
    ax.errorbar(r[~low], y[~low], xerr=err[:, ~low], fmt="s", color=PALETTE[0], capsize=3, label="estimate, 95% CI")
    if low.any():
        ax.errorbar(r[low], y[low], xerr=err[:, low], fmt="s", mfc="white", color="#888", capsize=3, label="low_n")
    ax.axvline(1.0, color="#a00", ls=":", lw=1).set_gid("decoration")
    ax.set_yticks(y, [f"{lab} (n={k})" for lab, k in zip(labels, penalty["n_switch_events"])])
    ax.invert_yaxis()
    ax.set_xlabel("ratio of post-switch output to matched stayers (1 = no penalty)")
    ax.legend(fontsize=8, loc="lower right")
    return _finish(cid, title, fig, int(penalty["n_switch_events"].sum()), notes)


def pivot_penalty(bins: pd.DataFrame) -> Chart:
    """Outcome relative to the smallest pivots, by pivot-size bin (ratio with 95% CI), one panel per outcome.

    ``bins``: outcome, bin_low, ratio_to_lowest_bin, ratio_ci_low, ratio_ci_high, n_events, low_n.
    """
    cid, title = "pivot-penalty", "Pivot penalty: output by pivot size"
    bins = _require(bins, ["outcome", "bin_low", "ratio_to_lowest_bin", "ratio_ci_low", "ratio_ci_high",
                           "n_events", "low_n"], cid)
    bins = bins[bins["ratio_to_lowest_bin"].notna()]
    if bins.empty:
        return empty_chart(cid, title, "no author-paper with a pivot size and a complete window")
    outcomes = sorted(bins["outcome"].unique())
    fig, axes = _grid(len(outcomes), width=10.0, panel_h=3.0, cols=2)
    for ax, outcome in zip(axes, outcomes):
        b = bins[bins["outcome"] == outcome]
        x = b["bin_low"].to_numpy(dtype=float) + 0.05
        _band(ax, x, b["ratio_to_lowest_bin"], b["ratio_ci_low"], b["ratio_ci_high"], PALETTE[0], outcome,
              b["low_n"].to_numpy(dtype=bool))
        ax.axhline(1.0, color="#a00", ls=":", lw=1).set_gid("decoration")
        ax.set_title(outcome.replace("_", " "), fontsize=9)
        ax.set_xlabel("pivot size (1 − cosine of reference families)")
    axes[0].set_ylabel("mean ÷ mean at pivot < 0.1")
    notes = ["raw bin means, not matched on career stage or output"]
    if bins["low_n"].any():
        notes.append("open markers: bins with fewer than 10 author-papers")
    return _finish(cid, title, fig, int(bins["n_events"].sum()), notes)


def downstream_partition(part: pd.DataFrame) -> Chart:
    """HHI of downstream papers over the nearest-foundation partition per year (95% band) and the top-3 share.

    ``part``: year, hhi, hhi_ci_low, hhi_ci_high, top3_share, n_papers, low_n.
    """
    cid, title = "downstream-partition", "Downstream concentration over foundation methods"
    part = _require(part, ["year", "hhi", "hhi_ci_low", "hhi_ci_high", "top3_share", "n_papers", "low_n"], cid)
    part = part[part["hhi"].notna()].sort_values("year")
    if part.empty:
        return empty_chart(cid, title, "no paper building on a foundation method")
    notes = ["each paper counted once, at its nearest foundation ancestor; delta-method interval"]
    if (~part["low_n"].astype(bool)).any():
        # stray early years with a paper or two would stretch the axis over empty decades
        start = part.loc[~part["low_n"].astype(bool), "year"].min()
        dropped = int((part["year"] < start).sum())
        if dropped:
            notes.append(f"{dropped} low_n year(s) before {start} left out")
        part = part[part["year"] >= start]
    fig = _figure(8.0, 3.4)
    ax = fig.subplots()
    x = part["year"].to_numpy()
    low = part["low_n"].to_numpy(dtype=bool)
    _band(ax, x, part["hhi"], part["hhi_ci_low"], part["hhi_ci_high"], PALETTE[0], "HHI", low)
    ax.plot(x, part["top3_share"], color=PALETTE[1], ls="--", marker=".", label="top-3 share")
    ax.set_ylim(0, 1)
    ax.set_xlabel("year")
    ax.legend(fontsize=8, loc="upper right")
    if low.any():
        notes.append("open markers: years with fewer than 10 papers")
    return _finish(cid, title, fig, int(part["n_papers"].sum()), notes)


def preferential_attachment(bins: pd.DataFrame, fit: pd.DataFrame) -> Chart:
    """Log-log Δk against k (binned, per period) with the pooled fitted slope α.

    ``bins``: kind, period, k_mean, dk_mean, units. ``fit``: kind, alpha, alpha_ci_low, alpha_ci_high,
    n_units, low_n (the pooled rows). One panel per kind.
    """
    cid, title = "preferential-attachment", "Preferential attachment: Δk ∝ k^α"
    bins = _require(bins, ["kind", "period", "k_mean", "dk_mean", "units"], cid)
    fit = _require(fit, ["kind", "alpha", "alpha_ci_low", "alpha_ci_high", "n_units", "low_n"], cid)
    bins = bins[(bins["k_mean"] > 0) & (bins["dk_mean"] > 0)]
    if bins.empty:
        return empty_chart(cid, title, "no bin with both k > 0 and Δk > 0")
    notes = []
    kinds = sorted(bins["kind"].unique())
    fig, axes = _grid(len(kinds), width=9, panel_h=3.4, cols=2)
    for ax, kind in zip(axes, kinds):
        b = bins[bins["kind"] == kind]
        periods = sorted(b["period"].unique())
        for i, period in enumerate(periods):
            bp = b[b["period"] == period]
            ax.scatter(bp["k_mean"], bp["dk_mean"], s=10 + 30 * np.sqrt(bp["units"] / bp["units"].max()),
                       color=PALETTE[i % len(PALETTE)], alpha=0.7, label=str(period))
        f = fit[fit["kind"] == kind]
        if len(f) and np.isfinite(f["alpha"].iloc[0]):
            row = f.iloc[0]
            w = b["units"].to_numpy(dtype=float)
            lx, ly = np.log(b["k_mean"].to_numpy()), np.log(b["dk_mean"].to_numpy())
            cx, cy = np.average(lx, weights=w), np.average(ly, weights=w)
            xs = np.linspace(lx.min(), lx.max(), 20)
            ax.plot(np.exp(xs), np.exp(cy + row["alpha"] * (xs - cx)), color="black", lw=1.5,
                    ls="--" if row["low_n"] else "-",
                    label=f"α = {row['alpha']:.2f} [{row['alpha_ci_low']:.2f}, {row['alpha_ci_high']:.2f}]")
            if row["low_n"]:
                notes.append(f"{kind}: pooled fit is low_n (dashed)")
        else:
            notes.append(f"{kind}: no pooled fit")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(kind)
        ax.set_xlabel("k (degree before the period)")
        ax.set_ylabel("mean Δk in the period")
        ax.legend(fontsize=7, ncol=2)
    return _finish(cid, title, fig, int(fit["n_units"].sum()) if len(fit) else int(bins["units"].sum()), notes)


def leaderboard_dominance(board: pd.DataFrame, top_families: int = 6) -> Chart:
    """Family shares of top-ranked leaderboard results per task area and year (stacked bars).

    ``board``: area, year, family, top_results_share, top_results_total, low_n.
    """
    cid, title = "leaderboard", "Leaderboard top-result shares by area and year"
    board = _require(board, ["area", "year", "family", "top_results_share", "top_results_total", "low_n"], cid)
    board = board[board["top_results_share"].notna() & board["year"].notna()]
    if board.empty:
        return empty_chart(cid, title, "no leaderboard result with a family and a year")
    notes = []
    keep = board.groupby("family")["top_results_share"].sum().nlargest(top_families).index
    board = board.assign(family=board["family"].where(board["family"].isin(keep), "(others)"))
    areas = sorted(board["area"].unique())
    cmap = colours(board["family"])
    fig, axes = _grid(len(areas), width=10, panel_h=2.6)
    for ax, area in zip(axes, areas):
        a = board[board["area"] == area]
        wide = a.pivot_table(index="year", columns="family", values="top_results_share", aggfunc="sum").fillna(0)
        bottom = np.zeros(len(wide))
        for fam in wide.columns:
            ax.bar(wide.index, wide[fam], bottom=bottom, color=cmap[fam], width=0.8, label=fam)
            bottom += wide[fam].to_numpy()
        low = a.groupby("year")["low_n"].any()
        for y in low[low].index:
            _low_n_band(ax, int(y))
        ax.set_title(area, fontsize=9)
        ax.set_ylim(0, 1)
        ax.set_xticks(list(wide.index)[:: max(1, len(wide.index) // 4)])
    fig.legend(*_merge_legends(axes), loc="outside right upper", fontsize=8)
    if board["low_n"].all():
        notes.append("every area-year is low_n: indicative only")
    n = int(board.groupby(["area", "year"])["top_results_total"].max().sum())
    return _finish(cid, title, fig, n, notes)


def framework_share(fw: pd.DataFrame) -> Chart:
    """Share of code links per framework and year, with 95% bands.

    ``fw``: year, framework, links_share, links_share_ci_low, links_share_ci_high, links_total, low_n.
    """
    cid, title = "frameworks", "Deep-learning framework shares of code links"
    fw = _require(fw, ["year", "framework", "links_share", "links_share_ci_low", "links_share_ci_high",
                       "links_total", "low_n"], cid)
    fw = fw[fw["links_share"].notna()].sort_values("year")
    if fw.empty:
        return empty_chart(cid, title, "no code link with a detected framework")
    notes = []
    fig = _figure(8, 3.4)
    ax = fig.subplots()
    cmap = colours(fw["framework"])
    for name, d in fw.groupby("framework"):
        _band(ax, d["year"].to_numpy(), d["links_share"], d["links_share_ci_low"], d["links_share_ci_high"],
              cmap[name], name, d["low_n"].to_numpy(dtype=bool))
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of code links")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(*_merge_legends([ax]), fontsize=8)
    for f in _one_year_families(fw, "framework"):
        notes.append(f"framework {f} appears in one year only")
    if fw["low_n"].any():
        notes.append("open markers: low_n years")
    n = int(fw.groupby("year")["links_total"].max().sum())
    return _finish(cid, title, fig, n, notes)


def lineage_fanout(edges: pd.DataFrame, kind: str = "method") -> Chart:
    """A bar-tree of the top roots' fan-out: each root's bar, then its largest children indented.

    ``edges``: root, child (None for the root's own row), downstream (descendant count or papers).
    """
    cid = f"{kind}-fanout"
    title = f"Foundation {kind} fan-out (downstream of the top roots)"
    edges = _require(edges, ["root", "child", "downstream"], cid)
    if edges.empty:
        return empty_chart(cid, title, f"no {kind} lineage edges")
    notes = []
    labels, values, colours_, depth = [], [], [], []
    roots = edges[edges["child"].isna()].sort_values("downstream", ascending=False)
    for i, (_, r) in enumerate(roots.iterrows()):
        labels.append(str(r["root"]))
        values.append(r["downstream"])
        colours_.append(PALETTE[i % len(PALETTE)])
        depth.append(0)
        kids = edges[(edges["root"] == r["root"]) & edges["child"].notna()].sort_values("downstream", ascending=False)
        for _, k in kids.iterrows():
            labels.append("    └ " + str(k["child"]))
            values.append(k["downstream"])
            colours_.append(PALETTE[i % len(PALETTE)])
            depth.append(1)
    fig = _figure(8, 0.22 * len(labels) + 1.2)
    ax = fig.subplots()
    y = np.arange(len(labels))
    from matplotlib.colors import to_rgba

    ax.barh(y, values, color=[to_rgba(c, 1.0 if d == 0 else 0.5) for c, d in zip(colours_, depth)])
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("downstream papers" if kind == "method" else "downstream models")
    return _finish(cid, title, fig, int(roots["downstream"].sum()), notes)


def cd_index(cd: pd.DataFrame, min_papers: int = 5) -> Chart:
    """Distribution of the CD index (−1 consolidating … +1 disruptive) per family (box plots).

    ``cd``: family, cd. Families with fewer than ``min_papers`` papers are drawn hatched (low_n).
    """
    cid, title = "cd-index", "CD index distribution by family"
    cd = _require(cd, ["family", "cd"], cid)
    cd = cd[cd["cd"].notna() & cd["family"].notna()]
    if cd.empty:
        return empty_chart(cid, title, "no paper with a CD index (no citations in the window)")
    notes = []
    groups = cd.groupby("family")["cd"]
    order = groups.median().sort_values().index
    fig = _figure(8, 3.6)
    ax = fig.subplots()
    data = [groups.get_group(f).to_numpy() for f in order]
    counts = [len(d) for d in data]
    box = ax.boxplot(data, vert=False, showfliers=False, patch_artist=True)
    for patch, k in zip(box["boxes"], counts):
        patch.set_facecolor("#ddd" if k < min_papers else PALETTE[0] + "88")
        if k < min_papers:
            patch.set_hatch("///")
    ax.set_yticks(range(1, len(order) + 1), [f"{f} (n={k})" for f, k in zip(order, counts)])
    ax.axvline(0, color="#a00", ls=":", lw=1).set_gid("decoration")
    # CD values crowd near 0; the 1st-99th percentile range keeps the boxes readable
    lo, hi = np.nanpercentile(cd["cd"], [1, 99])
    pad = max((hi - lo) * 0.1, 1e-3)
    ax.set_xlim(max(-1.0, lo - pad), min(1.0, hi + pad))
    ax.set_xlabel("CD index (−1 consolidating, +1 disruptive; axis clipped to the 1st–99th percentile)")
    small = [f for f, k in zip(order, counts) if k < min_papers]
    if small:
        notes.append(f"low_n (< {min_papers} papers, hatched): {', '.join(small)}")
    return _finish(cid, title, fig, len(cd), notes)
