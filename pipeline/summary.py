"""Short, readable summaries printed at the end of ``mlgraph run``: what is in the lake, what the
warehouse says at a glance (papers per domain and family, the largest lineage fan-outs)."""

from __future__ import annotations

import duckdb

import schemas
from pipeline import lake


def lake_rows(settings) -> dict[str, int]:
    """Rows per lake dataset (only datasets that have files)."""
    con = duckdb.connect()
    out = {}
    for spec in schemas.all_specs():
        if lake.list_partitions(settings.lake, spec):
            glob = lake.dataset_glob(settings.lake, spec)
            out[spec.key] = con.execute("SELECT count(*) FROM read_parquet(?)", [glob]).fetchone()[0]
    con.close()
    return out


def format_lake_rows(rows: dict[str, int]) -> str:
    """The lake summary as aligned text."""
    lines = ["lake rows per dataset"]
    lines += [f"  {key:32s} {n:>10,d}" for key, n in sorted(rows.items())]
    return "\n".join(lines)


def headline_rows(warehouse_path, top_families: int = 3, top_methods: int = 8) -> str:
    """Papers per domain with their largest families, and the methods with the largest lineage fan-out."""
    from pipeline.warehouse.reader import open_readonly

    con = open_readonly(warehouse_path, required=("mart_family_domain_year", "fct_method_lineage"))
    try:
        per_domain = con.execute(f"""
            WITH totals AS (
                SELECT domain, family, sum(papers_fractional) AS papers
                FROM mart_family_domain_year GROUP BY ALL
            ), ranked AS (
                SELECT domain, family, papers, sum(papers) OVER (PARTITION BY domain) AS domain_papers,
                       row_number() OVER (PARTITION BY domain ORDER BY papers DESC, family) AS rn
                FROM totals
            )
            SELECT domain, any_value(domain_papers),
                   string_agg(format('{{}} {{:.0f}}', family, papers), ', ' ORDER BY rn)
            FROM ranked WHERE rn <= {top_families} GROUP BY domain ORDER BY domain
        """).fetchall()
        fanout = con.execute(f"""
            SELECT method_name, family, descendants, downstream_papers
            FROM fct_method_lineage ORDER BY descendants DESC, downstream_papers DESC, method_name
            LIMIT {top_methods}
        """).fetchall()
    finally:
        con.close()
    lines = ["classified ML papers per domain (fractional counts) and their largest families, all years"]
    lines += [f"  {d:16s} {n:7.0f}   {fams}" for d, n, fams in per_domain]
    lines += ["", "largest lineage fan-outs (methods building on it, directly or not; papers using it or a descendant)"]
    lines += [f"  {m:24s} {fam:14s} {desc:4d} methods {papers:6d} papers" for m, fam, desc, papers in fanout]
    return "\n".join(lines)
