"""Pure parsing of Hugging Face Hub model records into lake rows (no I/O beyond reading a file).

Two shapes are read by the same code:

- the Hub API's ``GET /api/models/<id>`` answer (camelCase: ``createdAt``, ``cardData`` as a mapping);
- the model-tree export format (``{"models": [{model_id, card, metadata, depth, children, adapters,
  quantized, merges, …}]}``), whose ``metadata`` is huggingface_hub's ``ModelInfo`` as a JSON string
  (snake_case, ``card_data`` as YAML text), or ``"N/A"`` when the exporter could not read it.

Base links come from three places, each kept with its evidence: the ``base_model:<relation>:<id>``
tags the Hub derives from the card, the card's own ``base_model`` (a string or a list) when the tags
say nothing, and the base's listings (children/adapters/quantized/merges). Problems never stop a
file: each becomes a quarantine row with its reason, and the rest of the tree loads.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from pipeline.errors import MalformedPageError
from pipeline.ids import normalize_arxiv_id

RELATIONS = ("finetune", "adapter", "quantized", "merge")
# Export listing key → relation.
LISTINGS = {"children": "finetune", "adapters": "adapter", "quantized": "quantized", "merges": "merge"}
_HUB_PREFIXES = ("https://huggingface.co/", "http://huggingface.co/", "huggingface.co/", "hf.co/")
CARD_LIMIT = 20_000
RAW_LIMIT = 64 * 1024


def normalize_model_id(raw) -> str | None:
    """``owner/name`` from a Hub id or model URL; None when it is not one."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    for prefix in _HUB_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    text = text.split("?")[0].strip("/")
    if not text or " " in text or text.count("/") > 1:
        return None
    return text


def _ts(value) -> datetime | None:
    if value in (None, "", "N/A"):
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _int(value) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _card_mapping(info: dict) -> tuple[dict, str | None]:
    """The card metadata as a mapping, whichever form it came in; (mapping, problem)."""
    card = info.get("cardData", info.get("card_data"))
    if card in (None, ""):
        return {}, None
    if isinstance(card, dict):
        return card, None
    if isinstance(card, str):
        try:
            loaded = yaml.safe_load(card)
        except yaml.YAMLError as exc:
            return {}, f"card metadata is not valid YAML: {str(exc).splitlines()[0]}"
        return (loaded, None) if isinstance(loaded, dict) else ({}, None)
    return {}, f"card metadata has unexpected type {type(card).__name__}"


@dataclass
class Parsed:
    """Rows read from one source unit (an API answer or an export file)."""

    models: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)

    def extend(self, other: "Parsed") -> None:
        """Append another unit's rows."""
        self.models += other.models
        self.links += other.links
        self.quarantine += other.quarantine


def _reject(parsed: Parsed, key, reason: str, raw, location: str, now: datetime) -> None:
    text = raw if isinstance(raw, str) or raw is None else json.dumps(raw, default=str)
    parsed.quarantine.append({"dataset": "hf/models", "record_key": key, "reason": reason,
                              "raw": None if text is None else text[:RAW_LIMIT], "location": location,
                              "ingested_at": now})


def parse_model_info(info: dict, *, tree_root: str | None, depth: int | None, fetched_at: datetime,
                     location: str, card_text: str | None = None) -> Parsed:
    """One model_info mapping → its model row, its base links (tag/card evidence) and problems."""
    out = Parsed()
    model_id = normalize_model_id(info.get("id") or info.get("modelId"))
    if model_id is None:
        _reject(out, None, "model_info has no readable id", info, location, fetched_at)
        return out
    tags = [t for t in (info.get("tags") or []) if isinstance(t, str)]
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    architectures = config.get("architectures")
    architectures = [a for a in architectures if isinstance(a, str)] if isinstance(architectures, list) else None
    card, card_problem = _card_mapping(info)
    if card_problem:
        _reject(out, model_id, card_problem + " (model kept, card ignored)", info.get("card_data"), location, fetched_at)
    created = _ts(info.get("createdAt", info.get("created_at")))
    if created is None:
        _reject(out, model_id, "missing created_at (model kept with a null created date)", None, location, fetched_at)
    arxiv = sorted({a for a in (normalize_arxiv_id(t[6:]) for t in tags if t.lower().startswith("arxiv:")) if a})
    gated = info.get("gated")
    out.models.append({
        "model_id": model_id,
        "author": info.get("author") or (model_id.split("/")[0] if "/" in model_id else None),
        "created_at": created,
        "last_modified": _ts(info.get("lastModified", info.get("last_modified"))),
        "downloads": _int(info.get("downloads")),
        "likes": _int(info.get("likes")),
        "library_name": info.get("library_name") or info.get("libraryName") or card.get("library_name"),
        "pipeline_tag": info.get("pipeline_tag") or info.get("pipelineTag") or card.get("pipeline_tag"),
        "model_type": config.get("model_type") if isinstance(config.get("model_type"), str) else None,
        "architectures": architectures,
        "tags": tags,
        "arxiv_ids": arxiv,
        "gated": None if gated is None else str(gated).lower(),
        "card_text": (card_text or "")[:CARD_LIMIT] or None,
        "tree_root": tree_root,
        "depth": depth,
        "info_status": "ok",
        "fetched_at": fetched_at,
    })

    def link(base_raw, relation: str, evidence: str, note: str | None = None) -> None:
        base = normalize_model_id(base_raw)
        if base is None:
            _reject(out, model_id, f"base model {base_raw!r} is not a Hub model id", base_raw, location, fetched_at)
        elif base == model_id:
            _reject(out, model_id, "self-reference: base_model names the model itself", base_raw, location, fetched_at)
        else:
            out.links.append({"base_model_id": base, "model_id": model_id, "relation": relation,
                              "evidence": evidence, "tree_root": tree_root, "note": note,
                              "fetched_at": fetched_at})

    tagged = False
    for t in tags:
        parts = t.split(":", 2)
        if parts[0] == "base_model" and len(parts) == 3 and parts[1] in RELATIONS:
            tagged = True
            link(parts[2], parts[1], "tag")
    if not tagged and card.get("base_model"):
        bases = card["base_model"]
        note = None
        if isinstance(bases, list):
            note = "base_list" if len(bases) > 1 else None
            bases = [b for b in bases if b]
        elif isinstance(bases, str):
            bases = [bases]
        else:
            _reject(out, model_id, f"card base_model has unexpected type {type(bases).__name__}", bases,
                    location, fetched_at)
            bases = []
        relation = card.get("base_model_relation")
        if relation not in RELATIONS:
            relation = "merge" if len(bases) > 1 else "finetune"
        for b in bases:
            link(b, relation, "card", note)
    _dedupe_links(out)
    return out


def _dedupe_links(parsed: Parsed) -> None:
    seen, kept = set(), []
    for row in parsed.links:
        key = (row["base_model_id"], row["model_id"], row["relation"], row["evidence"])
        if key not in seen:
            seen.add(key)
            kept.append(row)
    parsed.links = kept


def placeholder_model(model_id: str, status: str, *, tree_root, depth, fetched_at) -> dict:
    """A model row for a model whose model_info could not be read (kept so its links have a node)."""
    return {"model_id": model_id, "author": model_id.split("/")[0] if "/" in model_id else None,
            "created_at": None, "last_modified": None, "downloads": None, "likes": None,
            "library_name": None, "pipeline_tag": None, "model_type": None, "architectures": None,
            "tags": None, "arxiv_ids": None, "gated": None, "card_text": None, "tree_root": tree_root,
            "depth": depth, "info_status": status, "fetched_at": fetched_at}


def parse_export_record(record, *, tree_root: str | None, fetched_at: datetime, location: str) -> Parsed:
    """One entry of an export's ``models`` list → model row, links (all evidence) and problems."""
    out = Parsed()
    if not isinstance(record, dict):
        _reject(out, None, f"export entry is a {type(record).__name__}, not an object", record, location, fetched_at)
        return out
    model_id = normalize_model_id(record.get("model_id"))
    if model_id is None:
        _reject(out, None, f"export entry has no readable model_id ({record.get('model_id')!r})",
                {k: v for k, v in record.items() if k != "card"}, location, fetched_at)
        return out
    depth = _int(record.get("depth"))
    meta = record.get("metadata")
    info = None
    if isinstance(meta, dict):
        info = meta
    elif isinstance(meta, str) and meta.strip() not in ("", "N/A"):
        try:
            info = json.loads(meta)
        except json.JSONDecodeError:
            what = "an HTML page" if meta.lstrip()[:1] == "<" else "not JSON"
            _reject(out, model_id, f"model_info is {what} (model kept without metadata)", meta, location, fetched_at)
        if info is not None and not isinstance(info, dict):
            _reject(out, model_id, "model_info is not a JSON object (model kept without metadata)", meta,
                    location, fetched_at)
            info = None
    elif meta is not None and not isinstance(meta, str):
        _reject(out, model_id, f"model_info has unexpected type {type(meta).__name__}", meta, location, fetched_at)
    if info is not None:
        info = dict(info)
        info.setdefault("id", model_id)
        sub = parse_model_info(info, tree_root=tree_root, depth=depth, fetched_at=fetched_at,
                               location=location, card_text=record.get("card"))
        if sub.models:
            sub.models[0]["model_id"] = model_id
        out.extend(sub)
    if not out.models:
        if info is None and isinstance(meta, str) and meta.strip() in ("", "N/A"):
            _reject(out, model_id, "export has no model_info (N/A): model kept with its listed links only",
                    meta, location, fetched_at)
        out.models.append(placeholder_model(model_id, "unavailable", tree_root=tree_root, depth=depth,
                                            fetched_at=fetched_at))
        out.models[0]["card_text"] = (record.get("card") or "")[:CARD_LIMIT] or None
    for key, relation in LISTINGS.items():
        listed = record.get(key) or []
        if not isinstance(listed, list):
            _reject(out, model_id, f"{key} is not a list", listed, location, fetched_at)
            continue
        for child_raw in listed:
            child = normalize_model_id(child_raw)
            if child is None:
                _reject(out, model_id, f"{key} entry {child_raw!r} is not a Hub model id", child_raw,
                        location, fetched_at)
            elif child == model_id:
                _reject(out, model_id, f"self-reference: the model lists itself in {key}", child_raw,
                        location, fetched_at)
            else:
                out.links.append({"base_model_id": model_id, "model_id": child, "relation": relation,
                                  "evidence": "listing", "tree_root": tree_root, "note": None,
                                  "fetched_at": fetched_at})
    _dedupe_links(out)
    return out


def read_export_file(path: Path) -> dict:
    """The JSON document of one export file (plain or gzip); a readable error when it is not one."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPageError(f"hf export {path.name} is not readable JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list):
        raise MalformedPageError(f"hf export {path.name}: expected an object with a 'models' list")
    return doc


def export_files(directory: Path) -> list[Path]:
    """The export files of a directory (``*.json`` and ``*.json.gz``), sorted."""
    directory = Path(directory)
    return sorted(p for p in directory.iterdir() if p.is_file() and (p.name.endswith(".json") or p.name.endswith(".json.gz")))


def parse_export(doc: dict, *, name: str, fetched_at: datetime) -> Parsed:
    """A whole export document → rows; links whose base is outside the file's tree get a note."""
    models = doc["models"]
    root = None
    for rec in models:
        if isinstance(rec, dict) and _int(rec.get("depth")) == 0:
            root = normalize_model_id(rec.get("model_id"))
            break
    out = Parsed()
    for i, rec in enumerate(models):
        out.extend(parse_export_record(rec, tree_root=root, fetched_at=fetched_at, location=f"{name} item {i}"))
    in_tree = {m["model_id"] for m in out.models}
    for row in out.links:
        if row["base_model_id"] not in in_tree and row["note"] is None:
            row["note"] = "base_outside_tree"
    return out


def iter_export_dir(directory: Path, fetched_at: datetime) -> Iterator[tuple[Path, Parsed]]:
    """Parse every export file of a directory, one at a time."""
    for path in export_files(directory):
        yield path, parse_export(read_export_file(path), name=path.name, fetched_at=fetched_at)
