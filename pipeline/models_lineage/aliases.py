"""Model-name normalisation shared by the three model sources (and, later, paper mentions).

``meta-llama/Llama-2-7b-hf``, Epoch's ``Llama 2-7B`` and a paper's ``LLaMA-2-7B`` must be one
model. The key keeps what identifies a model (family word, version, size, variant such as
``chat``) and drops what does not: the owner namespace, case, punctuation, and the packaging
suffixes ``hf`` and ``base`` (a "-hf" repo is the same weights converted for transformers).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+")
_DROP_TRAILING = frozenset({"hf", "base"})
_HUB_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/([^/?#\s]+/[^/?#\s]+)")


def alias_key(name: str | None, *, hub_id: bool = False) -> str | None:
    """The matching key of a model name (``hub_id=True``: drop the owner of ``owner/name``).

    None when nothing identifying is left: fewer than three characters or no letter ("14" of
    "ViT-G/14" must not match anything).
    """
    if not name:
        return None
    text = str(name).replace("\xa0", " ").strip().lower()
    if hub_id:
        text = text.rsplit("/", 1)[-1]
    tokens = _TOKEN.findall(text)
    while tokens and tokens[-1] in _DROP_TRAILING:
        tokens.pop()
    key = "".join(tokens)
    if len(key) < 3 or not re.search(r"[a-z]", key):
        return None
    return key


def hub_id_from_url(url: str | None) -> str | None:
    """``owner/name`` of a huggingface.co model URL (e.g. an Ecosystem Graphs model_card), else None."""
    if not url:
        return None
    m = _HUB_URL.match(str(url).strip())
    if not m:
        return None
    owner, name = m.group(1).split("/")
    if owner in ("datasets", "spaces", "docs", "blog"):
        return None
    return f"{owner}/{name}"


def org_key(name: str | None) -> str | None:
    """Lower-case, whitespace-folded organisation or namespace, the key of model_org_aliases.csv."""
    if not name:
        return None
    return " ".join(str(name).replace("\xa0", " ").lower().split()) or None
