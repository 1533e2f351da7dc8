"""The sample's foundation-model trees, in the real Hub export format, with planted fan-out.

Four foundation models, each with a planned number of fine-tunes, adapters, quantizations and merges
(some of them with derivatives of their own), written as ``hf/trees/<name>_finetunes_<date>.json.gz``
like the shared real trees: ``{"models": [{model_id, card, metadata, depth, children, adapters,
quantized, merges, …}]}`` with ``metadata`` a JSON string of huggingface_hub's ModelInfo. The bad
input of the real world is planted too: a card naming a list of bases, a self-reference, a missing
``created_at``, an ``"N/A"`` and an HTML model_info, and two merges naming each other (a cycle).
``hf/truth.json`` records what was planted, so tests compare the built tables with it.
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

# (id, created, model_type, architectures, library, pipeline_tag, planted fan-out per relation,
#  {child index: number of grandchildren (fine-tunes)}).
FOUNDATIONS = (
    ("acme-ai/Acme-LM-7B", "2023-03-01", "llama", ["LlamaForCausalLM"], "transformers", "text-generation",
     {"finetune": 60, "adapter": 25, "quantized": 12, "merge": 4}, {0: 8, 1: 3}),
    ("pixel-labs/PixelDiffusion-1", "2022-09-15", None, None, "diffusers", "text-to-image",
     {"finetune": 30, "adapter": 14}, {0: 2}),
    ("acme-ai/Acme-LM-1B", "2024-02-10", "qwen2", ["Qwen2ForCausalLM"], "transformers", "text-generation",
     {"finetune": 9, "quantized": 2}, {}),
    ("voxco/VoxTTS-82M", "2024-11-20", "styletts2", None, None, "text-to-speech",
     {"finetune": 5}, {}),
)
# Pipeline tags a few fine-tunes of the big language model move to: the planted domain reach.
CROSS_DOMAIN = ("image-text-to-text", "automatic-speech-recognition", "text-classification")
_LISTS = {"finetune": "children", "adapter": "adapters", "quantized": "quantized", "merge": "merges"}
EXPORT_STAMP = "20250422_000000"


def tree_file(foundation_id: str) -> str:
    """File name of a foundation model's tree, as the shared exports name theirs."""
    return f"{foundation_id.split('/')[1]}_finetunes_{EXPORT_STAMP}.json.gz"


TREE_FILES = tuple(tree_file(f[0]) for f in FOUNDATIONS)


def _ts(d: datetime | None) -> str | None:
    return d.strftime("%Y-%m-%d %H:%M:%S+00:00") if d else None


def _info(mid: str, created: datetime | None, *, tags, model_type=None, archs=None, library=None,
          pipeline_tag=None, card_data: str = "") -> dict:
    return {"id": mid, "author": mid.split("/")[0], "sha": None, "last_modified": _ts(created),
            "created_at": _ts(created), "private": False, "gated": False, "disabled": False,
            "downloads": 0, "likes": 0, "library_name": library, "tags": tags, "pipeline_tag": pipeline_tag,
            "card_data": card_data, "config": ({"model_type": model_type, "architectures": archs}
                                               if model_type or archs else None),
            "modelId": mid}


def _record(mid, depth, info, card="", **lists) -> dict:
    rec = {"model_id": mid, "card": card, "metadata": json.dumps(info) if isinstance(info, dict) else info,
           "depth": depth}
    for key in _LISTS.values():
        rec[key] = lists.get(key, [])
        rec[f"{key}_count"] = len(rec[key])
    rec["spaces"], rec["spaces_count"] = [], 0
    return rec


def write_hf_tree(out_dir, seed: int) -> dict:
    """Write the trees and ``truth.json`` into ``out_dir`` (the sample's ``hf/``); returns the truth."""
    rng = random.Random(seed * 7919 + 11)
    out = Path(out_dir)
    (out / "trees").mkdir(parents=True, exist_ok=True)
    truth = {"foundation_models": {}, "links": [], "cycles": [], "quarantine_reasons": []}
    users = [f"user{i:03d}" for i in range(60)]
    for fid, created_s, mtype, archs, library, ptag, fan, grand in FOUNDATIONS:
        base_date = datetime.fromisoformat(created_s).replace(tzinfo=timezone.utc)
        records, lists = [], {k: [] for k in _LISTS.values()}
        descendants: dict[str, tuple[int, datetime | None, str | None, str]] = {}
        n = 0
        for relation, count in fan.items():
            for i in range(count):
                n += 1
                cid = f"{rng.choice(users)}/{fid.split('/')[1]}-{relation}-{i:03d}"
                # Derivatives arrive one every 2-5 days after the release: 10th, 100th are planted.
                created = base_date + timedelta(days=2 + 3 * n + rng.randint(0, 2), hours=rng.randint(0, 23))
                tag_rel = relation
                child_tags = ["transformers" if library == "transformers" else (library or "pytorch"),
                              f"base_model:{fid}", f"base_model:{tag_rel}:{fid}"]
                if library == "diffusers":
                    child_tags.append("diffusers:StableDiffusionPipeline")
                child_ptag = ptag
                if fid == "acme-ai/Acme-LM-7B" and relation == "finetune" and i < len(CROSS_DOMAIN):
                    child_ptag = CROSS_DOMAIN[i]
                if relation == "finetune" and i == 2:
                    child_tags.append("arxiv:2307.09288")
                card_data = ""
                if relation == "merge" and i == 0:
                    # The card names a list of bases; the Hub then gives no relation tags.
                    child_tags = ["transformers", "mergekit"]
                    other = FOUNDATIONS[2][0] if fid != FOUNDATIONS[2][0] else FOUNDATIONS[0][0]
                    card_data = f"base_model:\n- {fid}\n- {other}\n"
                    truth["links"].append([other, cid, "merge"])
                info = _info(cid, created, tags=child_tags, model_type=mtype, archs=archs, library=library,
                             pipeline_tag=child_ptag, card_data=card_data)
                sub = {k: [] for k in _LISTS.values()}
                if relation == "finetune" and i == 4:
                    info["tags"].append(f"base_model:finetune:{cid}")  # self-reference
                    truth["quarantine_reasons"].append("self-reference")
                if relation == "finetune" and i == 5:
                    info["created_at"] = None
                    created = None
                    truth["quarantine_reasons"].append("missing created_at")
                metadata: dict | str = info
                if relation == "adapter" and i == 1:
                    metadata = "N/A"
                    truth["quarantine_reasons"].append("no model_info")
                if relation == "adapter" and i == 2:
                    metadata = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
                    truth["quarantine_reasons"].append("HTML")
                grand_n = grand.get(n - 1, 0) if relation == "finetune" else 0
                grandchildren = []
                for j in range(grand_n):
                    gid = f"{rng.choice(users)}/{cid.split('/')[1]}-ft-{j}"
                    gcreated = (created or base_date) + timedelta(days=5 + 4 * j)
                    ginfo = _info(gid, gcreated, tags=["transformers", f"base_model:finetune:{cid}"],
                                  model_type=mtype, archs=archs, library=library, pipeline_tag=ptag)
                    grandchildren.append(_record(gid, 2, ginfo, card=f"# {gid}\nA fine-tune of {cid}."))
                    sub["children"].append(f"https://huggingface.co/{gid}")
                    descendants[gid] = (2, gcreated, ptag, "finetune")
                    truth["links"].append([cid, gid, "finetune"])
                records.append(_record(cid, 1, metadata, card=f"# {cid}\nA {relation} of {fid}.", **sub))
                records.extend(grandchildren)
                lists[_LISTS[relation]].append(f"https://huggingface.co/{cid}")
                unread = isinstance(metadata, str)  # no model_info: neither date nor tag reach the warehouse
                descendants[cid] = (1, None if unread else created, None if unread else child_ptag, relation)
                truth["links"].append([fid, cid, relation])
        if fid == "acme-ai/Acme-LM-7B":
            # Two merges of the base that name each other: a cycle the graph must report, not walk.
            m1, m2 = "mixer/Acme-Merge-A", "mixer/Acme-Merge-B"
            for a, b, k in ((m1, m2, 0), (m2, m1, 1)):
                created = base_date + timedelta(days=400 + k)
                info = _info(a, created, tags=["transformers", f"base_model:merge:{fid}", f"base_model:merge:{b}"],
                             model_type=mtype, archs=archs, library=library, pipeline_tag=ptag)
                records.append(_record(a, 1, info, card=f"# {a}\nA merge."))
                lists["merges"].append(f"https://huggingface.co/{a}")
                descendants[a] = (1, created, ptag, "merge")
                truth["links"] += [[fid, a, "merge"], [b, a, "merge"]]
            truth["cycles"].append(sorted([m1, m2]))
        root_tags = [library or "pytorch", "arxiv:2302.13971"]
        if library == "diffusers":
            root_tags.append("diffusers:StableDiffusionPipeline")
        root_info = _info(fid, base_date, tags=root_tags, model_type=mtype,
                          archs=archs, library=library, pipeline_tag=ptag)
        root = _record(fid, 0, root_info, card=f"# {fid}\nA foundation model.", **lists)
        doc = {"models": [root] + records}
        # mtime=0: the same seed must give byte-identical files.
        (out / "trees" / tree_file(fid)).write_bytes(
            gzip.compress(json.dumps(doc).encode(), mtime=0))
        dated = sorted(c for _, c, _, _ in descendants.values() if c)
        direct = {}
        for d, _, _, rel in descendants.values():
            if d == 1:
                direct[rel] = direct.get(rel, 0) + 1
        truth["foundation_models"][fid] = {
            "created": created_s, "models_in_tree": len(doc["models"]), "direct": direct,
            "descendants": len(descendants), "max_depth": max(d for d, _, _, _ in descendants.values()),
            "days_to_10": (dated[9].date() - base_date.date()).days if len(dated) >= 10 else None,
            "days_to_100": (dated[99].date() - base_date.date()).days if len(dated) >= 100 else None,
            "pipeline_tags": sorted({t for _, _, t, _ in descendants.values() if t} | {ptag}),
        }
    truth["n_links"] = len({(a, b) for a, b, _ in truth["links"]})
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return truth


def seeds(hf_dir) -> list[str]:
    """The foundation models of a written sample tree (the crawl's seeds)."""
    return sorted(json.loads((Path(hf_dir) / "truth.json").read_text())["foundation_models"])
