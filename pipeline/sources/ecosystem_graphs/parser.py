"""Pure parsing of Stanford CRFM Ecosystem Graphs assets (per-organisation YAML, or the collated CSV).

Real quirks: ``created_date`` is a date, an int year, a ``{value, explanation}`` mapping or
``unknown``; ``license`` may be such a mapping too; a file may hold a non-list document. An asset
without a type or name is quarantined; everything else loads.
"""

from __future__ import annotations

import ast
import csv
import io
import json
from datetime import date, datetime, timezone

import yaml

from pipeline.errors import MalformedPageError

_TEXT_FIELDS = ("modality", "access", "size", "url", "model_card", "description")


def _value(v):
    """The value of a ``{value, explanation}`` mapping, or v itself."""
    return v.get("value") if isinstance(v, dict) else v


def _text(v) -> str | None:
    v = _value(v)
    if v is None:
        return None
    out = str(v).strip()
    return out or None


def parse_created(v) -> date | None:
    """A created_date in any of the forms above → date; 'unknown' and the unreadable → None."""
    v = _value(v)
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, int) and 1900 < v < 2100:
        return date(v, 1, 1)
    if isinstance(v, str):
        for fmt, n in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
            try:
                return datetime.strptime(v.strip()[:n], fmt).date()
            except ValueError:
                continue
    return None


def _deps(v) -> list[str] | None:
    if v is None:
        return []
    if isinstance(v, str):
        text = v.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                v = json.loads(text)
            except ValueError:
                try:
                    v = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    return None
        else:
            v = text.split(",")
    if not isinstance(v, list):
        return None
    return [str(d).strip() for d in v if d is not None and str(d).strip()]


def parse_asset(asset, *, source_file: str) -> tuple[dict | None, str | None]:
    """(row, None) or (None, reason) for one asset mapping."""
    if not isinstance(asset, dict):
        return None, f"asset is a {type(asset).__name__}, not a mapping"
    kind, name = _text(asset.get("type")), _text(asset.get("name"))
    if not kind or not name:
        return None, "asset has no type or no name"
    deps = _deps(asset.get("dependencies"))
    if deps is None:
        return None, f"dependencies are not a list: {asset.get('dependencies')!r}"[:300]
    row = {"asset_type": kind, "name": name, "organization": _text(asset.get("organization")),
           "created_date": parse_created(asset.get("created_date")), "license": _text(asset.get("license")),
           "dependencies": deps, "source_file": source_file}
    row.update({f: _text(asset.get(f)) for f in _TEXT_FIELDS})
    return row, None


def _bad(reason, raw, location, now):
    return {"dataset": "ecosystem_graphs/assets", "record_key": None, "reason": reason,
            "raw": str(raw)[:65536], "location": location, "ingested_at": now}


def parse_yaml_file(data: bytes, *, source_file: str) -> tuple[list[dict], list[dict]]:
    """(asset rows, quarantine rows) of one organisation file."""
    now = datetime.now(timezone.utc)
    try:
        doc = yaml.safe_load(data.decode("utf-8", errors="replace"))
    except yaml.YAMLError as exc:
        return [], [_bad(f"not valid YAML: {str(exc).splitlines()[0]}", data[:2000], source_file, now)]
    if doc is None:
        return [], []
    if not isinstance(doc, list):
        return [], [_bad(f"file holds a {type(doc).__name__}, not a list of assets", data[:2000], source_file, now)]
    rows, bad = [], []
    for i, asset in enumerate(doc):
        row, reason = parse_asset(asset, source_file=source_file)
        if row:
            rows.append(row)
        else:
            bad.append(_bad(reason, asset, f"{source_file} item {i}", now))
    return rows, bad


def parse_csv(data: bytes, *, source_file: str) -> tuple[list[dict], list[dict]]:
    """(asset rows, quarantine rows) of the collated assets CSV (one asset per row)."""
    now = datetime.now(timezone.utc)
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""))
    if not {"type", "name"} <= set(reader.fieldnames or []):
        raise MalformedPageError(f"ecosystem_graphs: {source_file} lacks the type and name columns")
    rows, bad = [], []
    for i, rec in enumerate(reader, start=1):
        row, reason = parse_asset(rec, source_file=source_file)
        if row:
            rows.append(row)
        else:
            bad.append(_bad(reason, rec, f"{source_file} row {i}", now))
    return rows, bad


def dedupe(rows: list[dict], now=None) -> tuple[list[dict], list[dict]]:
    """One row per (type, name, organisation): later duplicates are quarantined as such.

    The same name under two organisations is two assets (OpenAI's and Together's "Dragonfly")."""
    now = now or datetime.now(timezone.utc)
    seen, kept, bad = set(), [], []
    for row in rows:
        key = (row["asset_type"], row["name"], row["organization"])
        if key in seen:
            bad.append(_bad(f"duplicate asset {key[0]} {key[1]!r} of {key[2]!r}", row, row["source_file"], now))
        else:
            seen.add(key)
            kept.append(row)
    return kept, bad
