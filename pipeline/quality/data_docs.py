"""Great Expectations Data Docs (HTML) of one quality-gate run, built from its saved JSON results.

The gates validate in an ephemeral GX context, which has no Data Docs site; the same pages are
rendered here from the results each run already keeps (``<home>/quality/<run>/<suite>.json``)
with GX's own renderers, one page per validated table plus an index. Rebuilding from JSON means
docs can be (re)made for any past run, and a rendering problem can never change a gate outcome.
GX's page template links its CSS/JS from public CDNs: offline the pages show unstyled, but every
result is in the HTML.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

DOCS_DIR = "data_docs"


def _page_name(suite: str, table: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", f"{suite}.{table}") + ".html"


def build_data_docs(results_dir: Path) -> Path:
    """Render ``results_dir``'s GX validation results as HTML under ``results_dir/data_docs``."""
    from pipeline.quality.gates import _import_gx

    _import_gx()
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    results_dir = Path(results_dir)
    schema, renderer, view = ExpectationSuiteValidationResultSchema(), ValidationResultsPageRenderer(), DefaultJinjaPageView()
    tmp = Path(tempfile.mkdtemp(prefix=".data_docs-", dir=results_dir))
    rows = []
    for path in sorted(results_dir.glob("*.json")):
        if path.name == "summary.json":
            continue
        for entry in json.loads(path.read_text()):
            result = schema.load(entry["result"])
            page = _page_name(path.stem, entry["table"])
            (tmp / page).write_text(view.render(renderer.render(result)))
            stats = entry["result"].get("statistics") or {}
            rows.append((path.stem, entry["table"], bool(entry["result"].get("success")),
                         stats.get("evaluated_expectations", 0), stats.get("unsuccessful_expectations", 0), page))
    (tmp / "index.html").write_text(_index(results_dir, rows))
    target = results_dir / DOCS_DIR
    old = results_dir / ".data_docs-old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    log.info("GX Data Docs: %s (%d pages)", target / "index.html", len(rows))
    return target / "index.html"


def _index(results_dir: Path, rows: list[tuple]) -> str:
    summary = {}
    if (results_dir / "summary.json").exists():
        summary = json.loads((results_dir / "summary.json").read_text())
    failed = sum(1 for r in rows if not r[2])
    body = "\n".join(
        f"<tr class='{'ok' if ok else 'fail'}'><td>{html.escape(s)}</td><td><a href='{html.escape(p)}'>"
        f"{html.escape(t)}</a></td><td>{'passed' if ok else 'FAILED'}</td><td>{n}</td><td>{bad}</td></tr>"
        for s, t, ok, n, bad, p in rows)
    outcome = "passed" if summary.get("success", failed == 0) else "FAILED"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Data Docs — {html.escape(results_dir.name)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{padding:2px 8px;
border-bottom:1px solid #ddd;text-align:left}}tr.fail td{{background:#fdd}}</style></head><body>
<h1>Great Expectations Data Docs</h1>
<p>Quality-gate run <code>{html.escape(results_dir.name)}</code>: <b>{outcome}</b>,
{len(rows)} validated table(s), {failed} with failures.</p>
<table><tr><th>suite</th><th>table</th><th>outcome</th><th>expectations</th><th>failed</th></tr>
{body}
</table></body></html>
"""
