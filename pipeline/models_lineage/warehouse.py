"""Warehouse steps of the foundation-model lineage ("one model, many models").

``prepare_models(con, ctx)`` runs after the staging views: it resolves every model name of the three
sources to one canonical ``model_id`` (``int_model_aliases``) and gives every model an architecture
family (``int_model_families``). The SQL marts ``dim_models``, ``fct_model_lineage`` and
``fct_model_papers`` are built on them. ``build_model_graph(con, ctx)`` runs after the marts: the
descendants of every foundation model, fan-out, cycles, and the GraphML export.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pyarrow as pa

from pipeline.models_lineage.aliases import alias_key, hub_id_from_url, org_key
from pipeline.warehouse.runner import SEEDS_DIR
from pipeline.warehouse.tables import create_from_arrow

FAMILY_RULES_SEED = "model_architecture_families.csv"
# The card text is only consulted when the config says nothing; its first part holds the summary.
CARD_CHARS = 6000


def load_family_rules(seeds_dir: Path = SEEDS_DIR) -> list[tuple[re.Pattern, str]]:
    """(compiled pattern, family) rules of the seed, in order: the first match wins."""
    with open(Path(seeds_dir) / FAMILY_RULES_SEED, newline="") as fh:
        return [(re.compile(r["pattern"]), r["family"]) for r in csv.DictReader(fh)]


def load_org_aliases(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """org_key(alias) → organisation, from model_org_aliases.csv."""
    with open(Path(seeds_dir) / "model_org_aliases.csv", newline="") as fh:
        return {org_key(r["alias"]): r["organisation"] for r in csv.DictReader(fh)}


def family_from_config(model_type, architectures, library_name, tags, rules) -> tuple[str | None, str | None]:
    """(family, evidence) from config.model_type / architectures / diffusers tags, or (None, None)."""
    parts = [model_type or "", " ".join(architectures or []), library_name or ""]
    parts += [t for t in (tags or []) if t.startswith("diffusers:")]
    text = " ".join(parts).lower()
    if not text.strip():
        return None, None
    for pattern, family in rules:
        m = pattern.search(text)
        if m:
            return family, m.group(0)
    return None, None


def _hf_models(con) -> list[tuple]:
    return con.execute(
        "SELECT model_id, model_type, architectures, library_name, tags, card_text, created_at, depth "
        "FROM stg_hf__models").fetchall()


def prepare_models(con, ctx) -> None:
    """Build ``int_model_aliases`` and ``int_model_families`` (see the module docstring)."""
    hf = _hf_models(con)
    links = con.execute("SELECT base_model_id, model_id, relation FROM stg_hf__links").fetchall()
    epoch = con.execute("SELECT model, base_models, organization FROM stg_epoch__models").fetchall()
    epoch_text = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT model, coalesce(reference, model), abstract FROM stg_epoch__models").fetchall()}
    eg = con.execute("SELECT asset_type, name, organization, model_card, dependencies "
                     "FROM stg_ecosystem__assets").fetchall()

    hf_ids = {r[0] for r in hf}
    created = {r[0]: r[6] for r in hf}
    has_base = {m for _, m, _ in links}
    nodes = set(hf_ids) | {b for b, _, _ in links} | {m for _, m, _ in links}

    # A key names the original when several Hub repos share it: a model with no base first (the
    # original is not a derivative of anything), then the oldest.
    by_key: dict[str, list[str]] = defaultdict(list)
    for mid in nodes:
        key = alias_key(mid, hub_id=True)
        if key:
            by_key[key].append(mid)
    ordered_for_key = {
        key: sorted(ids, key=lambda m: (m in has_base, created.get(m) is None, created.get(m) or 0, m))
        for key, ids in by_key.items()}
    # Hub ↔ Hub names share a key freely; another source's name only joins an original (a model with
    # no base) or a repo of the same organisation: Epoch's "Llama 2-7B" must not become a user's
    # fine-tune that happens to be called llama-2-7b.
    orgs = load_org_aliases()

    def hub_match(key, organisations) -> str | None:
        wanted = {orgs.get(org_key(o), org_key(o)) for o in organisations or [] if o}
        for mid in ordered_for_key.get(key, ()):
            owner = mid.split("/", 1)[0]
            if mid not in has_base or orgs.get(org_key(owner), org_key(owner)) in wanted:
                return mid
        return None

    rows: dict[tuple[str, str], dict] = {}

    def add(source: str, name: str, model_id: str, rule: str) -> None:
        key = alias_key(name, hub_id=source in ("hf", "hf_link"))
        rows.setdefault((source, name), {"source": source, "name": name, "alias_key": key,
                                         "model_id": model_id, "match_rule": rule})

    for mid in sorted(nodes):
        add("hf" if mid in hf_ids else "hf_link", mid, mid, "hub_id")

    epoch_names = {}
    for model, _, organisations in epoch:
        key = alias_key(model)
        hub = hub_match(key, organisations) if key else None
        if hub:
            target, rule = hub, "name_key"
        else:
            target, rule = f"epoch:{model}", "own"
        if key:
            epoch_names[key] = target
        add("epoch", model, target, rule)
    for _, bases, _ in epoch:
        for base in bases or []:
            key = alias_key(base)
            if key is None:
                add("epoch_base", base, f"epoch:{base}", "own")
            elif key in epoch_names:
                add("epoch_base", base, epoch_names[key], "name_key")
            elif hub_match(key, []):
                add("epoch_base", base, hub_match(key, []), "name_key")
            else:
                add("epoch_base", base, f"epoch:{base}", "own")

    for kind, name, org, card, _ in eg:
        if kind != "model":
            continue
        hub = hub_id_from_url(card)
        key = alias_key(name)
        if hub and hub in nodes:
            target, rule = hub, "model_card_url"
        elif key and hub_match(key, [org]):
            target, rule = hub_match(key, [org]), "name_key"
        elif key and key in epoch_names:
            target, rule = epoch_names[key], "name_key"
        else:
            target, rule = f"eg:{name}", "own"
        add("ecosystem_graphs", name, target, rule)

    alias_rows = sorted(rows.values(), key=lambda r: (r["source"], r["name"]))
    create_from_arrow(con, "int_model_aliases", pa.Table.from_pylist(alias_rows, schema=pa.schema([
        ("source", pa.string()), ("name", pa.string()), ("alias_key", pa.string()),
        ("model_id", pa.string()), ("match_rule", pa.string())])), order="source, name")

    # Epoch models no Hub model matched are classified from Epoch's reference title and abstract.
    papers = {r["model_id"]: epoch_text[r["name"]] for r in alias_rows
              if r["source"] == "epoch" and r["match_rule"] == "own" and r["name"] in epoch_text}
    _families(con, hf, links, nodes, papers)


def _families(con, hf, links, nodes, papers) -> None:
    from pipeline.classify import classify

    rules = load_family_rules()
    family: dict[str, tuple[str, str, str | None]] = {}
    for mid, (title, abstract) in papers.items():
        verdict = classify(title, abstract)
        if verdict.primary_family != "other":
            family[mid] = (verdict.primary_family, "epoch_abstract", ",".join(verdict.evidence[:3]) or None)
    for mid, model_type, archs, library, tags, card, _, _ in hf:
        fam, why = family_from_config(model_type, archs, library, tags, rules)
        if fam:
            family[mid] = (fam, "config", why)
            continue
        if card:
            verdict = classify(mid.rsplit("/", 1)[-1].replace("-", " "), card[:CARD_CHARS])
            if verdict.primary_family != "other":
                family[mid] = (verdict.primary_family, "card_text", ",".join(verdict.evidence[:3]) or None)
    # A fine-tune, adapter, quantization or merge keeps its base's architecture: models with no
    # config and no telling card inherit it, breadth-first from the classified ones.
    children = defaultdict(list)
    for base, child, _ in links:
        children[base].append(child)
    frontier = sorted(family)
    while frontier:
        nxt = []
        for base in frontier:
            for child in children.get(base, ()):
                if child not in family:
                    family[child] = (family[base][0], "inherited", base)
                    nxt.append(child)
        frontier = nxt
    out = [{"model_id": m, "family": family[m][0] if m in family else "other",
            "family_source": family[m][1] if m in family else "none",
            "family_evidence": family[m][2] if m in family else None} for m in sorted(set(nodes) | set(papers))]
    create_from_arrow(con, "int_model_families", pa.Table.from_pylist(out, schema=pa.schema([
        ("model_id", pa.string()), ("family", pa.string()), ("family_source", pa.string()),
        ("family_evidence", pa.string())])), order="model_id")


# --- the model graph ------------------------------------------------------------------------------

def lineage_graph(edges) -> "nx.DiGraph":
    """Directed base → derived graph; parallel edges from several sources keep every relation."""
    import networkx as nx

    g = nx.DiGraph()
    for base, child, relation, source in edges:
        if g.has_edge(base, child):
            data = g.edges[base, child]
            data["relations"] = sorted(set(data["relations"]) | {relation})
            data["sources"] = sorted(set(data["sources"]) | {source})
        else:
            g.add_edge(base, child, relations=[relation], sources=[source])
    return g


def condense(g):
    """(condensation DAG, node → component id, cycles as sorted member lists, largest first)."""
    import networkx as nx

    cycles = sorted((sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1),
                    key=lambda c: (-len(c), c))
    dag = nx.condensation(g)
    return dag, dag.graph["mapping"], cycles


def descendants_of_roots(g) -> list[dict]:
    """Every (foundation model, descendant, depth, relation of the last hop) of the graph.

    A foundation model is a model with derivatives and no base (a root of the condensation: models on
    a cycle count as one node, so a cycle through merges never loops). Depth is the shortest number
    of hops; the relation is that of the edge into the descendant on a shortest path, the
    alphabetically first when several tie.
    """
    dag, mapping, _ = condense(g)
    members = {c: sorted(dag.nodes[c]["members"]) for c in dag.nodes}
    out = []
    for root in sorted(c for c in dag.nodes if dag.in_degree(c) == 0 and dag.out_degree(c) > 0):
        depth = {root: 0}
        frontier = [root]
        while frontier:
            nxt = []
            for c in frontier:
                for d in dag.successors(c):
                    if d not in depth:
                        depth[d] = depth[c] + 1
                        nxt.append(d)
            frontier = nxt
        for root_model in members[root]:
            for comp, dist in depth.items():
                if comp == root:
                    continue
                for model in members[comp]:
                    rels = sorted({r for p in g.predecessors(model) if depth.get(mapping[p]) == dist - 1
                                   for r in g.edges[p, model]["relations"]})
                    out.append({"foundation_model_id": root_model, "model_id": model, "depth": dist,
                                "relation": rels[0] if rels else None})
    return out


def build_model_graph(con, ctx) -> None:
    """fct_model_descendants, mart_model_fanout, model_lineage_cycles and model_lineage.graphml."""
    from pipeline.lineage.graph import write_graphml

    edges = con.execute("SELECT base_model_id, model_id, relation, source FROM fct_model_lineage").fetchall()
    g = lineage_graph(edges)
    _, mapping, cycles = condense(g)
    cyc_rows = [{"cycle_id": i + 1, "models": c, "size": len(c),
                 "relations": sorted({r for u in c for v in c if g.has_edge(u, v) for r in g.edges[u, v]["relations"]})}
                for i, c in enumerate(cycles)]
    create_from_arrow(con, "model_lineage_cycles", pa.Table.from_pylist(cyc_rows, schema=pa.schema([
        ("cycle_id", pa.int32()), ("models", pa.list_(pa.string())), ("size", pa.int32()),
        ("relations", pa.list_(pa.string()))])), order="cycle_id")
    if cycles:
        ctx.log.warning("model lineage: %d cycle(s) (largest %d models); condensed for depth", len(cycles), len(cycles[0]))

    desc = descendants_of_roots(g)
    create_from_arrow(con, "_model_desc_tmp", pa.Table.from_pylist(desc, schema=pa.schema([
        ("foundation_model_id", pa.string()), ("model_id", pa.string()), ("depth", pa.int32()),
        ("relation", pa.string())])))
    con.execute("""
        CREATE OR REPLACE TABLE fct_model_descendants AS
        SELECT t.foundation_model_id, t.model_id, t.depth, t.relation, d.created_date, d.created_year
        FROM _model_desc_tmp AS t LEFT JOIN dim_models AS d USING (model_id)
        ORDER BY foundation_model_id, depth, model_id""")
    con.execute("DROP TABLE _model_desc_tmp")

    in_cycle = {m for c in cycles for m in c}
    counts = defaultdict(lambda: defaultdict(int))
    for base, _, relation, _ in edges:
        counts[base][relation] += 1
    n_desc = defaultdict(int)
    max_depth = defaultdict(int)
    for row in desc:
        n_desc[row["foundation_model_id"]] += 1
        max_depth[row["foundation_model_id"]] = max(max_depth[row["foundation_model_id"]], row["depth"])
    fan = []
    for model in sorted(g.nodes):
        c = counts.get(model, {})
        fan.append({"model_id": model, "is_foundation": g.out_degree(model) > 0 and model in n_desc,
                    "in_cycle": model in in_cycle, "n_bases": g.in_degree(model),
                    "n_children": g.out_degree(model),
                    **{f"n_{r}": int(c.get(r, 0)) for r in ("finetune", "adapter", "quantized", "merge", "dependency")},
                    "n_descendants": n_desc.get(model, 0), "max_depth": max_depth.get(model, 0)})
    create_from_arrow(con, "mart_model_fanout", pa.Table.from_pylist(fan), order="model_id")

    attrs = {r[0]: r[1:] for r in con.execute(
        "SELECT model_id, organisation, family, pipeline_tag, created_date, source FROM dim_models").fetchall()}
    out = g.copy()
    for n in out.nodes:
        org, fam, tag, created, source = attrs.get(n, (None,) * 5)
        out.nodes[n].update(organisation=org, family=fam, pipeline_tag=tag, created_date=created, source=source)
    for u, v, data in out.edges(data=True):
        data["relations"] = ",".join(data["relations"])
        data["sources"] = ",".join(data["sources"])
    write_graphml(out, Path(ctx.exports_dir) / "model_lineage.graphml")
