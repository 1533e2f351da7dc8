"""The architecture-lineage graph (networkx): methods as nodes, an edge B -> A when A builds on B.

Pure functions over a ``networkx.DiGraph`` whose nodes carry ``family``, ``introduced_date``
(ISO string or None), ``introduced_year`` and ``date_source``; edges carry ``evidence``.
Cycles (mutual references in PwC descriptions, same-date pairs) are reported as strongly
connected components and collapsed in the condensation DAG, so depth is always finite.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import networkx as nx

from pipeline.classify.text import trie_regex


def build_graph(methods: Iterable[Mapping], edges: Iterable[tuple[str, str, str]]) -> nx.DiGraph:
    """A DiGraph of ``methods`` (dicts with method_name and attributes) and (parent, child, evidence) edges."""
    g = nx.DiGraph()
    for m in methods:
        attrs = {k: v for k, v in m.items() if k != "method_name"}
        g.add_node(m["method_name"], **attrs)
    for parent, child, evidence in edges:
        if parent == child:
            continue
        for n in (parent, child):
            if n not in g:
                g.add_node(n)
        g.add_edge(parent, child, evidence=evidence)
    return g


def _when(node: Mapping) -> tuple[date | None, int | None]:
    d = node.get("introduced_date")
    if isinstance(d, str):
        d = date.fromisoformat(d)
    return d, node.get("introduced_year")


def is_backward(parent: Mapping, child: Mapping) -> bool:
    """True when the parent was introduced strictly after the child (both dated).

    Dates are compared at the finest precision both have: days when both carry a paper date,
    otherwise years; equal years are not backward.
    """
    pd, py = _when(parent)
    cd, cy = _when(child)
    if pd is not None and cd is not None:
        return pd > cd
    if py is not None and cy is not None:
        return py > cy
    return False


def split_backward_edges(nodes: Mapping[str, Mapping], edges: Iterable[tuple[str, str, str]]):
    """(kept, dropped) edge lists: a method cannot build on one introduced after it."""
    kept, dropped = [], []
    for parent, child, evidence in edges:
        if parent in nodes and child in nodes and is_backward(nodes[parent], nodes[child]):
            dropped.append((parent, child, evidence))
        else:
            kept.append((parent, child, evidence))
    return kept, dropped


def find_cycles(g: nx.DiGraph) -> list[list[str]]:
    """Every cycle group (strongly connected component of more than one method), sorted, deterministic."""
    groups = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    return sorted(groups, key=lambda c: (-len(c), c))


def depths(g: nx.DiGraph) -> dict[str, int]:
    """Longest path from a root to each method, on the condensation DAG (cycle members share a depth)."""
    cond = nx.condensation(g)
    mapping = cond.graph["mapping"]
    level: dict[int, int] = {}
    for comp in nx.topological_sort(cond):
        preds = list(cond.predecessors(comp))
        level[comp] = 1 + max(level[p] for p in preds) if preds else 0
    return {n: level[mapping[n]] for n in g}


def ancestors(g: nx.DiGraph, method: str) -> set[str]:
    """Methods that ``method`` builds on, directly or transitively (cycle-safe)."""
    return nx.ancestors(g, method)


def descendants(g: nx.DiGraph, method: str) -> set[str]:
    """Methods built on ``method``, directly or transitively (cycle-safe)."""
    return nx.descendants(g, method)


def method_metrics(g: nx.DiGraph, min_descendants: int, max_ancestors: int) -> dict[str, dict]:
    """Per method: ancestors, descendants, direct parents/children, depth, is_foundation, cycle_id.

    Foundation rule: at least ``min_descendants`` methods descend from it and it is root-ish,
    i.e. it has at most ``max_ancestors`` ancestors itself.
    """
    depth = depths(g)
    cycle_of = {n: i for i, group in enumerate(find_cycles(g), start=1) for n in group}
    out = {}
    for n in sorted(g):
        anc, desc = len(nx.ancestors(g, n)), len(nx.descendants(g, n))
        out[n] = {"ancestors": anc, "descendants": desc, "direct_parents": g.in_degree(n),
                  "direct_children": g.out_degree(n), "depth": depth[n],
                  "is_foundation": desc >= min_descendants and anc <= max_ancestors,
                  "cycle_id": cycle_of.get(n)}
    return out


def family_graph(g: nx.DiGraph) -> nx.DiGraph:
    """Family-level lineage: parent_family -> child_family with ``edges`` = number of method edges."""
    counts = Counter((g.nodes[p].get("family"), g.nodes[c].get("family")) for p, c in g.edges)
    fg = nx.DiGraph()
    for (pf, cf), n in sorted(counts.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        if pf is None or cf is None:
            continue
        fg.add_edge(pf, cf, edges=n)
    return fg


def write_graphml(g: nx.DiGraph, path: Path) -> Path:
    """Write GraphML for Gephi; attributes that are None are left out (GraphML has no null)."""
    clean = nx.DiGraph()
    for n, attrs in g.nodes(data=True):
        clean.add_node(n, **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in attrs.items() if v is not None})
    for u, v, attrs in g.edges(data=True):
        clean.add_edge(u, v, **{k: (x.isoformat() if isinstance(x, date) else x) for k, x in attrs.items() if x is not None})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    nx.write_graphml(clean, tmp)
    tmp.replace(path)
    return path


class NameMatcher:
    """Finds methods named in a description (rule documented in docs of fct_lineage_edges).

    - short names (``name``) match case-sensitively as whole tokens (no letter/digit on either
      side), e.g. "ResNet" in "a ResNet-50 backbone" but not "GAN" in "BiGAN";
    - names shorter than ``min_len`` never match; names up to ``short_len`` characters must look
      like an acronym (contain an upper-case letter or digit) to match at all;
    - names in ``stoplist`` (ordinary words such as "Attention") never match;
    - full names match case-insensitively, only when they have at least two words.
    """

    def __init__(self, methods: Iterable[tuple[str, str | None]], min_len: int, short_len: int,
                 stoplist: Iterable[str]):
        stop = set(stoplist)
        self.by_name: dict[str, str] = {}
        self.by_full: dict[str, str] = {}
        for name, full in methods:
            if name in stop or len(name) < min_len:
                pass
            elif len(name) <= short_len and not re.search(r"[A-Z0-9]", name):
                pass
            else:
                self.by_name.setdefault(name, name)
            if full and len(full.split()) >= 2 and full not in stop:
                self.by_full.setdefault(full.lower(), name)
        self.name_re = self._compile(self.by_name, 0)
        self.full_re = self._compile(self.by_full, re.IGNORECASE)

    @staticmethod
    def _compile(keys, flags):
        if not keys:
            return None
        body = trie_regex([[re.escape(ch) for ch in k] for k in keys])
        return re.compile(r"(?<![A-Za-z0-9])(" + body + r")(?![A-Za-z0-9])", flags)

    def named_in(self, text: str | None) -> set[str]:
        """Method names mentioned in ``text``."""
        found: set[str] = set()
        if not text:
            return found
        if self.name_re is not None:
            for m in self.name_re.finditer(text):
                found.add(self.by_name[m.group(1)])
        if self.full_re is not None:
            for m in self.full_re.finditer(text):
                found.add(self.by_full[m.group(1).lower()])
        return found
