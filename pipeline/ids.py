"""arXiv identifier normalisation, shared by every source."""

from __future__ import annotations

import re

# New style (since 2007-04): YYMM.NNNN or YYMM.NNNNN, optional version.
_NEW = re.compile(r"^([0-9]{4}\.[0-9]{4,5})(?:v([0-9]+))?$", re.ASCII)
# Old style: archive(.subject-class)?/YYMMNNN, optional version; the subject class is not part
# of the identifier (math.GT/0309136 is math/0309136).
_OLD = re.compile(r"^([a-z][a-z\-]*)(?:\.[a-z\-]{2,})?/([0-9]{7})(?:v([0-9]+))?$", re.IGNORECASE | re.ASCII)
_PREFIXES = ("oai:arxiv.org:", "arxiv:", "https://arxiv.org/abs/", "http://arxiv.org/abs/",
             "https://arxiv.org/pdf/", "http://arxiv.org/pdf/", "https://export.arxiv.org/abs/",
             "http://export.arxiv.org/abs/", "https://www.arxiv.org/abs/", "http://www.arxiv.org/abs/")

ARXIV_ID_PATTERN = r"^([0-9]{4}\.[0-9]{4,5}|[a-z][a-z\-]*/[0-9]{7})$"


def split_arxiv_id(raw: str | None) -> tuple[str, int | None] | None:
    """Return (normalised id without version, version or None), or None if not an arXiv id.

    Accepts bare ids, ``arXiv:`` prefixes, OAI identifiers and abs/pdf URLs.
    """
    if raw is None:
        return None
    text = raw.strip()
    lowered = text.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    if text.lower().endswith(".pdf"):
        text = text[:-4]
    text = text.strip().strip("/")
    match = _NEW.match(text)
    if match:
        return match.group(1), int(match.group(2)) if match.group(2) else None
    match = _OLD.match(text)
    if match:
        return f"{match.group(1).lower()}/{match.group(2)}", int(match.group(3)) if match.group(3) else None
    return None


def normalize_arxiv_id(raw: str | None) -> str | None:
    """The normalised arXiv id (version stripped), or None if ``raw`` is not one."""
    parts = split_arxiv_id(raw)
    return parts[0] if parts else None
