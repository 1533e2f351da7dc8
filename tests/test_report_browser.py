"""The report in a real browser: headless Chromium (Debian's package) driven over the DevTools protocol.

Builds the bundled sample (ingest → build → gates with Data Docs → publish → report), opens
``index.html`` from ``file://`` and checks: no console error, exception or failed load; every
chart the report lists is on the page with drawn marks (SVG elements with a non-empty box); every
local link (indicator docs, Data Docs, chart SVGs) resolves in the browser. A screenshot and the
measurements are saved under ``$MLGRAPH_REPORT_ARTIFACTS`` (default ``.artifacts/report``).

Run with ``make test-report`` (scripts/test-report.sh installs Chromium first); skipped when no
Chromium binary is found. ``MLGRAPH_REPORT_HOME=<home>`` reuses an already published home instead
of building the sample.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("MLGRAPH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    pytest.skip("no chromium binary (make test-report installs Debian's)", allow_module_level=True)
ARTIFACTS = Path(os.environ.get("MLGRAPH_REPORT_ARTIFACTS", REPO / ".artifacts" / "report"))


class DevTools:
    """A minimal CDP client: one page target, commands by id, events kept in order."""

    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=64 * 2**20, open_timeout=30)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, timeout: float = 60, **params) -> dict:
        """Send one command and wait for its result (events seen meanwhile are kept)."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        """The next event ``method`` (already received or arriving within ``timeout``)."""
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("method") == method:
                return msg
            self.events.append(msg)

    def navigate(self, url: str) -> dict:
        """Load ``url`` and wait for its load event; returns Page.navigate's result (errorText on failure)."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        result = self.send("Page.navigate", url=url)
        if not result.get("errorText"):
            self.wait_for("Page.loadEventFired")
        return result

    def evaluate(self, expression: str):
        """The JSON value of a JavaScript expression in the page."""
        out = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in out:
            raise AssertionError(f"page script failed: {out['exceptionDetails']}")
        return out["result"].get("value")

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def published_report(tmp_path_factory):
    """The sample's warehouse built, gated (with Data Docs), published, and its report rendered."""
    from pipeline import sample
    from pipeline.config import load_settings
    from pipeline.quality import run_gates
    from pipeline.report import build_report
    from pipeline.sample.ingest import ingest_sample
    from pipeline.warehouse import build, publish

    reuse = os.environ.get("MLGRAPH_REPORT_HOME")  # an already published home (e.g. after `make run`)
    home = Path(reuse) if reuse else tmp_path_factory.mktemp("report") / "home"
    settings = load_settings(env={}, home=home, oai_delay_seconds=0.0, s2_requests_per_second=0.0)
    if not reuse:
        sample.ensure_sample(settings)
        ingest_sample(settings)
        candidate = build(settings)
        run_gates(settings, candidate)
        publish(settings, candidate)
    started = time.monotonic()
    cpu = time.process_time()
    info = build_report(settings)
    info["measured"] = {"wall_seconds": round(time.monotonic() - started, 1),
                        "cpu_seconds": round(time.process_time() - cpu, 1)}
    return settings, info


@pytest.fixture(scope="module")
def browser(published_report):
    """Headless Chromium with a remote-debugging port; yields a DevTools client on a fresh page."""
    import requests

    profile = Path(tempfile.mkdtemp(prefix="mlgraph-chromium-"))
    args = [CHROMIUM, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1280,1600",
            "--allow-file-access-from-files", "about:blank"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root (CI runs as root)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"chromium did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        target = requests.put(f"http://127.0.0.1:{port}/json/new?about:blank", timeout=30).json()
        cdp = DevTools(target["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            cdp.send(f"{domain}.enable")
        yield cdp
        cdp.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _problems(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.append(f"log error: {params['entry'].get('text')} {params['entry'].get('url', '')}")
    return out


MARKS_JS = """
(() => Array.from(document.querySelectorAll('figure.chart')).map(fig => {
  const id = fig.dataset.chart;
  const marks = Array.from(fig.querySelectorAll(`[id^="${id}-mark-"]`));
  const drawn = marks.filter(m => {
    const shapes = [m, ...m.querySelectorAll('path, rect, use, image, polygon, circle, line, polyline')];
    return shapes.some(s => { try { const b = s.getBBox(); return b.width * b.height > 0 || b.width > 0 || b.height > 0; }
                              catch (e) { return false; } });
  });
  const svg = fig.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return {id, empty: fig.dataset.empty, marks: marks.length, drawn: drawn.length,
          width: box.width, height: box.height,
          doc: (fig.querySelector('a.doc') || {}).href || null};
}))()
"""


def test_the_report_opens_clean_with_every_chart_drawn_and_every_link_resolving(published_report, browser):
    settings, info = published_report
    index = Path(info["index"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    nav = browser.navigate(index.as_uri())
    assert not nav.get("errorText"), nav
    charts = browser.evaluate(MARKS_JS)
    expected = {c["id"] for c in info["charts"]}
    assert {c["id"] for c in charts} == expected and len(expected) >= 10, (charts, info["skipped"])
    for chart in charts:
        assert chart["empty"] == "false" and chart["drawn"] >= 1, chart
        assert chart["width"] > 200 and chart["height"] > 80, chart
        assert chart["doc"] and "/docs/" in chart["doc"], chart

    shot = browser.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    (ARTIFACTS / "report-screenshot.png").write_bytes(base64.b64decode(shot["data"]))
    problems = _problems(browser.events)
    assert not problems, problems

    links = browser.evaluate("Array.from(new Set(Array.from(document.querySelectorAll('a[href]')).map(a => a.href)))")
    local = sorted({link.split("#")[0] for link in links if link.startswith("file://")})
    assert any("/docs/" in link for link in local) and any(link.endswith("quality/index.html") for link in local)
    broken = []
    for link in local:
        browser.events.clear()
        result = browser.navigate(link)
        if result.get("errorText"):
            broken.append(f"{link}: {result['errorText']}")
        elif "/docs/" in link:
            # the indicator pages are ours: they too load without any error
            problems = _problems(browser.events)
            if problems:
                broken.append(f"{link}: {problems}")
            title = browser.evaluate("document.title")
            if "mlgraph indicators" not in title:
                broken.append(f"{link}: unexpected page title {title!r}")
    assert not broken, broken
    (ARTIFACTS / "report-check.json").write_text(json.dumps(
        {"index": str(index), "charts": charts, "links_checked": len(local), "skipped": info["skipped"],
         "build": info["measured"], "chart_seconds": info["chart_seconds"]}, indent=1))
