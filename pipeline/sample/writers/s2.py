"""The Semantic Scholar format: one Graph API ``/paper/batch`` answer per paper (JSON lines).

Papers S2 lacks (``world.s2_absent``) get no line and appear as unresolved references elsewhere;
references outside the corpus are drawn from a heavy-tailed pool of external papers.
"""

from __future__ import annotations

import json

import numpy as np

from pipeline.sample import catalog as C
from pipeline.sample.simulate import _s2_id
from pipeline.sample.writers import GzJsonLines, Writer


class S2Writer(Writer):
    """``s2/papers.jsonl.gz``, read by the loopback S2 server."""

    name = "s2"
    files = ("s2/papers.jsonl.gz",)

    def finish(self) -> None:
        """Write every paper S2 knows, with its references."""
        self._write_s2()

    def _write_s2(self) -> None:
        c = self.c
        seed = c.seed
        rng = np.random.default_rng([seed, 15])
        n = c.n
        rng.random(n)  # the draw behind world.s2_absent: this stream continues after it
        absent = self.w.s2_absent
        corpus_id = 2_000_000 + rng.permutation(n) * 97 + rng.integers(0, 97, size=n)
        n_ext = max(200, n // 3)
        ext_cid = 300_000_000 + rng.permutation(n_ext) * 13
        ext_year = rng.integers(1990, 2025, size=n_ext)
        ext_doi = [f"10.{1000 + k % 8000}/ext.{k:07d}" for k in range(n_ext)]
        ext_title = [f"{C.NON_ML_TITLES[k % len(C.NON_ML_TITLES)].split(' ', 1)[1]} ({k})" for k in range(n_ext)]
        order = np.argsort(self.w.citing, kind="stable")
        citing_sorted, cited_sorted = self.w.citing[order], self.w.cited[order]
        starts = np.searchsorted(citing_sorted, np.arange(n + 1))
        indeg = np.bincount(self.w.cited, minlength=n)
        mean_ext = np.clip(3.0 + 0.2 * (c.year - C.FIRST_YEAR), 1.0, None)
        n_ext_refs = rng.poisson(mean_ext)
        s2_ids = [_s2_id(seed, x) for x in c.ids]
        ext_s2 = [_s2_id(seed, x) for x in ext_doi]
        ref_cache: list[str | None] = [None] * n
        ext_cache: list[str | None] = [None] * n_ext
        out = GzJsonLines(self.out / "s2" / "papers.jsonl.gz")
        n_ext_total = n_null = 0
        for i in range(n):
            if absent[i]:
                continue
            refs = []
            for j in cited_sorted[starts[i]:starts[i + 1]].tolist():
                ref = ref_cache[j]
                if ref is None:
                    ref = ref_cache[j] = json.dumps(self._s2_ref(j, absent[j], s2_ids[j], int(corpus_id[j])))
                if absent[j]:
                    n_null += 1
                refs.append(ref)
            k_ext = int(n_ext_refs[i])
            if k_ext:
                picks = (rng.pareto(1.2, size=k_ext) * 7).astype(np.int64) % n_ext
                unresolved = rng.random(k_ext) < 0.08
                for e, unres in zip(picks.tolist(), unresolved.tolist()):
                    if unres:
                        refs.append(json.dumps({"paperId": None, "corpusId": None, "externalIds": None,
                                                "title": ext_title[e], "year": None}))
                        n_null += 1
                    else:
                        ref = ext_cache[e]
                        if ref is None:
                            ref = ext_cache[e] = json.dumps(
                                {"paperId": ext_s2[e], "corpusId": int(ext_cid[e]),
                                 "externalIds": {"DOI": ext_doi[e], "CorpusId": int(ext_cid[e])},
                                 "title": ext_title[e], "year": int(ext_year[e])})
                        refs.append(ref)
                    n_ext_total += 1
            ext_ids = {"ArXiv": c.ids[i]}
            if self.w.doi[i]:
                ext_ids["DOI"] = self.w.doi[i]
            ext_ids["CorpusId"] = int(corpus_id[i])
            cites = int(indeg[i]) + int(rng.poisson(1 + 0.5 * indeg[i]))
            head = json.dumps({"paperId": s2_ids[i], "externalIds": ext_ids, "corpusId": int(corpus_id[i]),
                               "title": self.w.titles[i], "year": int(c.year[i]), "referenceCount": len(refs),
                               "citationCount": cites, "influentialCitationCount": int(cites * 0.1)})
            # references are encoded once per cited paper and spliced in, in the API's key order
            out.write_raw(head[:-1] + ', "references": [' + ", ".join(refs) + "]}")
        out.close()
        self.w.counts["s2_papers"] = out.count
        self.w.counts["s2_absent"] = int(absent.sum())
        self.w.counts["s2_external_references"] = n_ext_total
        self.w.counts["s2_null_references"] = n_null
        self.w.counts["internal_citations"] = int(len(self.w.citing))

    def _s2_ref(self, j: int, absent: bool, s2_id: str, corpus_id: int) -> dict:
        """How a corpus paper appears in others' reference lists (unresolved when S2 lacks it)."""
        if absent:
            return {"paperId": None, "corpusId": None, "externalIds": None, "title": self.w.titles[j], "year": None}
        ext = {"ArXiv": self.c.ids[j]}
        if self.w.doi[j]:
            ext["DOI"] = self.w.doi[j]
        ext["CorpusId"] = corpus_id
        return {"paperId": s2_id, "corpusId": corpus_id, "externalIds": ext, "title": self.w.titles[j],
                "year": int(self.c.year[j])}
