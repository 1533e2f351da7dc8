"""The arXiv formats: the OAI-PMH server's corpus and the Kaggle metadata snapshot (JSON lines).

Both are Kaggle-snapshot records (``id``, ``authors``, ``versions`` with RFC 822 dates, …); the
snapshot holds only papers and versions before the snapshot cutoff, the corpus everything.
"""

from __future__ import annotations

import numpy as np

from pipeline.sample import SNAPSHOT_CUTOFF
from pipeline.sample.simulate import _day, _rfc822, _to_date
from pipeline.sample.text import wrap
from pipeline.sample.writers import GzJsonLines, Writer

_LICENSES = ("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "http://creativecommons.org/licenses/by/4.0/",
             "http://creativecommons.org/licenses/by-nc-sa/4.0/", None)


class ArxivWriter(Writer):
    """``arxiv/corpus.jsonl.gz`` and ``arxiv/arxiv-metadata-oai-snapshot.jsonl.gz``."""

    name = "arxiv"
    files = ("arxiv/corpus.jsonl.gz", "arxiv/arxiv-metadata-oai-snapshot.jsonl.gz")

    def start(self, world, out) -> None:
        """Open both files and draw this writer's random stream."""
        super().start(world, out)
        self._r = np.random.default_rng([self.c.seed, 11]).random((self.c.n, 5))
        self._corpus_out = GzJsonLines(self.out / "arxiv" / "corpus.jsonl.gz")
        self._snap_out = GzJsonLines(self.out / "arxiv" / "arxiv-metadata-oai-snapshot.jsonl.gz")

    def paper(self, i: int, abstract: str) -> None:
        """Write paper ``i`` to the corpus, and to the snapshot if it appeared before the cutoff.

        Records go out in date order, which is also new-style id order (ids are assigned by month).
        """
        c = self.c
        rec = self._record(i, self._r[i], abstract)
        self._corpus_out.write(rec)
        cutoff = _day(SNAPSHOT_CUTOFF)
        if c.day[i] < cutoff:
            kept = [v for v in c.vdays[i] if 0 <= v < cutoff]
            if len(kept) < len(rec["versions"]):
                rec = dict(rec, versions=rec["versions"][:len(kept)], update_date=_to_date(int(kept[-1])).isoformat())
            self._snap_out.write(rec)

    def finish(self) -> None:
        """Close both files."""
        self._corpus_out.close()
        self._snap_out.close()
        self.w.counts["arxiv_corpus"] = self._corpus_out.count
        self.w.counts["arxiv_snapshot"] = self._snap_out.count

    def _record(self, i: int, r: np.ndarray, abstract: str) -> dict:
        c = self.c
        vd = [int(v) for v in c.vdays[i] if v >= 0]
        names = self.w.authors(i)
        full = [f"{f} {k}" for k, f in names]
        authors = full[0] if len(full) == 1 else ", ".join(full[:-1]) + " and " + full[-1]
        title = self.w.titles[i]
        if len(title) > 70:
            cut = title.rfind(" ", 0, 70)
            if cut > 0:
                title = title[:cut] + "\n  " + title[cut + 1:]
        pages = int(r[0] * 30) + 4
        comments = None if r[1] < 0.3 else f"{pages} pages, {int(r[2] * 9) + 1} figures"
        secs = c.vsecs[i]
        return {
            "id": c.ids[i], "submitter": full[0], "authors": authors, "title": title, "comments": comments,
            "journal-ref": None if self.w.doi[i] is None or r[3] < 0.3 else f"Proc. ML Conf. {int(c.year[i])}",
            "doi": self.w.doi[i], "report-no": None, "categories": self.w.categories[i],
            "license": _LICENSES[int(r[4] * len(_LICENSES))] if c.year[i] >= 2008 else None,
            "abstract": "  " + wrap(abstract) + "\n",
            "versions": [{"version": f"v{k + 1}", "created": _rfc822(v, int(secs[k]))} for k, v in enumerate(vd)],
            "update_date": _to_date(vd[-1]).isoformat(),
            "authors_parsed": [[k, f, ""] for k, f in names],
        }
