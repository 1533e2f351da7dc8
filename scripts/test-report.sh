#!/usr/bin/env bash
# The report in a real browser: headless Chromium from Debian's packages (installed here when
# missing, the way test-distributed.sh installs PostgreSQL), then tests/test_report_browser.py:
# the bundled sample is built, gated, published and reported, and the page is checked over the
# DevTools protocol (no console errors, every chart drawn, every docs link resolving).
#
#   scripts/test-report.sh                 # make test-report
# Environment: MLGRAPH_REPORT_ARTIFACTS (default .artifacts/report: screenshot + measurements),
# MLGRAPH_REPORT_HOME=<home> reuses an already published home instead of building the sample.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$REPO/.venv}"
T0=$(date +%s)
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$CHROMIUM" ]]; then
    log "installing chromium from the OS packages"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    CHROMIUM="$(command -v chromium)"
fi
log "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
export MLGRAPH_CHROMIUM="$CHROMIUM"
export MLGRAPH_REPORT_ARTIFACTS="${MLGRAPH_REPORT_ARTIFACTS:-$REPO/.artifacts/report}"
cd "$REPO"
"$VENV/bin/python" -m pytest tests/test_report_browser.py -m browser -q -p no:cacheprovider
log "artefacts: $MLGRAPH_REPORT_ARTIFACTS (report-screenshot.png, report-check.json)"
