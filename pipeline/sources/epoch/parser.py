"""Pure parsing of Epoch AI's "Notable AI Models" CSV into lake rows.

Epoch's cells are free text: several organisations or base models in one cell separated by commas,
stray newlines and non-breaking spaces in names, dates as YYYY-MM-DD (sometimes YYYY-MM or YYYY).
A row without a model name is quarantined; an unreadable number or date becomes null.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

from pipeline.errors import MalformedPageError
from pipeline.ids import normalize_arxiv_id

REQUIRED = ("Model", "Organization", "Publication date")
_SPACE = re.compile(r"\s+")


def clean(text) -> str | None:
    """Whitespace-normalised cell text (newlines and NBSP folded); None when empty."""
    if text is None:
        return None
    out = _SPACE.sub(" ", str(text).replace("\xa0", " ")).strip()
    return out or None


def split_list(text) -> list[str]:
    """Comma-separated cell → cleaned items."""
    value = clean(text)
    return [p for p in (clean(x) for x in value.split(",")) if p] if value else []


def parse_date(text) -> date | None:
    """YYYY-MM-DD, YYYY-MM (first of month) or YYYY (1 January); None otherwise."""
    value = clean(text)
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return datetime.strptime(value[:10], fmt).date()
        except ValueError:
            continue
    return None


def parse_float(text) -> float | None:
    """A number cell (``1.26e+24``, ``32000000000.0``, ``1,000``); None when unreadable."""
    value = clean(text)
    if not value:
        return None
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return None


def parse_csv(data: bytes, *, location: str) -> tuple[list[dict], list[dict]]:
    """(model rows, quarantine rows) of the CSV; a CSV without Epoch's columns is an error."""
    now = datetime.now(timezone.utc)
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise MalformedPageError(f"epoch: {location} lacks column(s) {missing}; is it the notable-models CSV?")
    rows, bad = [], []
    for i, rec in enumerate(reader, start=1):
        name = clean(rec.get("Model"))
        if not name:
            bad.append({"dataset": "epoch/models", "record_key": None, "reason": "row has no Model name",
                        "raw": repr(rec)[:65536], "location": f"{location} row {i}", "ingested_at": now})
            continue
        link = clean(rec.get("Link"))
        first_link = link.split()[0].rstrip(",") if link else None
        rows.append({
            "row_no": i, "model": name, "domain": split_list(rec.get("Domain")),
            "organization": split_list(rec.get("Organization")),
            "organization_category": clean(rec.get("Organization categorization")),
            "country": clean(rec.get("Country (from Organization)")),
            "publication_date": parse_date(rec.get("Publication date")),
            "reference": clean(rec.get("Reference")), "link": first_link,
            "arxiv_id": normalize_arxiv_id(first_link) if first_link else None,
            "parameters": parse_float(rec.get("Parameters")),
            "training_compute_flop": parse_float(rec.get("Training compute (FLOP)")),
            "base_models": split_list(rec.get("Base model")),
            "accessibility": clean(rec.get("Model accessibility")),
            "abstract": clean(rec.get("Abstract")),
        })
    return rows, bad
