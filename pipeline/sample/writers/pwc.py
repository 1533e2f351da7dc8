"""The Papers With Code JSON dumps: papers-with-abstracts, methods, evaluation tables, code links, datasets.

Gzipped JSON arrays with the real dumps' keys and quirks (duplicate rows, placeholder years,
null areas, papers that are not on arXiv).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from pipeline.sample import catalog as C
from pipeline.sample.simulate import (
    DOMAIN_INDEX, KIND_LANDMARK, _author_name, _slug, _to_date, pytorch_planted_share,
)
from pipeline.sample.writers import GzJsonLines, Writer

_PROCEEDINGS = ("neurips-2019-12", "icml-2020-1", "iclr-2021-1", "cvpr-2022-1", "acl-2023-7", None, None, None)


def _method_url(name: str) -> str:
    return "https://paperswithcode.com/method/" + _slug(name)


class PwcJsonWriter(Writer):
    """``pwc/*.json.gz``: the five dumps in the JSON layout paperswithcode.com published."""

    name = "pwc-json"
    files = ("pwc/papers-with-abstracts.json.gz", "pwc/methods.json.gz", "pwc/evaluation-tables.json.gz",
             "pwc/links-between-papers-and-code.json.gz", "pwc/datasets.json.gz")

    def start(self, world, out) -> None:
        """Open papers-with-abstracts and write the papers PwC knows that are not on arXiv."""
        super().start(world, out)
        c = self.c
        self.links: list[list[tuple[str, str]]] = [[] for _ in range(c.n)]
        self._r_pwc = np.random.default_rng([c.seed, 12]).random((c.n, 12))
        self._papers_out = GzJsonLines(self.out / "pwc" / "papers-with-abstracts.json.gz", array=True)
        self._objs = self._method_objects()
        self.method_use: dict[str, int] = defaultdict(int)
        self._last_v = (c.vdays >= 0).sum(axis=1)
        self._dup_papers = 0
        # papers that introduce methods but are not on arXiv (GloVe, LightGBM, ...): PwC knows them
        off_arxiv = [(m[0], m[4][0], m[6]) for m in C.METHODS if m[5] is None] + \
                    [(g[0], 2014, g[5]) for g in C.GENERIC_METHODS if g[4] is None]
        self.off_arxiv_urls = {}
        for name, year, title in off_arxiv:
            url = "https://paperswithcode.com/paper/" + _slug(title)
            self.off_arxiv_urls[name] = (url, title)
            self._papers_out.write({
                "paper_url": url, "arxiv_id": None, "title": title, "abstract": f"We introduce {name}. {title}.",
                "url_abs": f"https://proceedings.example.org/{_slug(title)}",
                "url_pdf": f"https://proceedings.example.org/{_slug(title)}.pdf", "proceeding": None,
                "authors": [f"{f} {k}" for k, f in [_author_name(10_000_000 + len(self.off_arxiv_urls))]],
                "tasks": [], "date": f"{year}-06-01", "methods": [dict(self._objs[name])]})
            self.method_use[name] += 1

    def paper(self, i: int, abstract: str) -> None:
        """Paper ``i``'s row in papers-with-abstracts, when PwC covers it."""
        if not self.w.in_pwc[i]:
            return
        c = self.c
        r = self._r_pwc[i]
        names = self._paper_methods(i, r)
        for nm in names:
            self.method_use[nm] += 1
        pid, nv = c.ids[i], int(self._last_v[i])
        row = {"paper_url": self.w.pwc_url[i], "arxiv_id": pid, "title": self.w.titles[i], "abstract": abstract,
               "url_abs": f"https://arxiv.org/abs/{pid}v{nv}", "url_pdf": f"https://arxiv.org/pdf/{pid}v{nv}.pdf",
               "proceeding": _PROCEEDINGS[int(r[9] * len(_PROCEEDINGS))],
               "authors": [f"{f} {k}" for k, f in self.w.authors(i)], "tasks": self.w.tasks[i],
               "date": _to_date(int(c.day[i])).isoformat(), "methods": [self._objs[nm] for nm in names]}
        self._papers_out.write(row)
        if r[10] < 0.01 or not self._dup_papers:  # the real dump has duplicate rows
            self._papers_out.write(row)
            self._dup_papers += 1

    def finish(self) -> None:
        """Close papers-with-abstracts, then write the other four dumps."""
        self._papers_out.close()
        self.w.counts["pwc_papers_rows"] = self._papers_out.count
        self.w.counts["pwc_papers_duplicate_rows"] = self._dup_papers
        self._write_methods(self.method_use)
        self._write_eval_tables()
        self._write_links()
        self._write_datasets()

    def _method_objects(self) -> dict[str, dict]:
        objs = {}
        for name, full, family, cols, _year, _arxiv, _title, _parents, _domains, _found in C.METHODS:
            main = cols[0] if cols else None
            objs[name] = {"name": name, "full_name": full, "description": "", "introduced_year": 2000,
                          "source_url": None, "source_title": None, "code_snippet_url": "",
                          "main_collection": None if main is None else {
                              "name": main[0], "description": f"{main[0]} collection.", "parent": None, "area": main[2]}}
        for name, full, cols, _year, _arxiv, _title in C.GENERIC_METHODS:
            main = cols[0] if cols else None
            objs[name] = {"name": name, "full_name": full, "description": "", "introduced_year": 2000,
                          "source_url": None, "source_title": None, "code_snippet_url": "",
                          "main_collection": None if main is None else {
                              "name": main[0], "description": f"{main[0]} collection.", "parent": None, "area": main[2]}}
        return objs

    def _paper_methods(self, i: int, r: np.ndarray) -> list[str]:
        c = self.c
        y = max(int(c.year[i]), 1990)
        dom = C.DOMAINS[c.domain[i]]
        names: list[str] = []
        for k, f in enumerate([c.family[i], *[s for s in c.sec[i] if s >= 0]]):
            fam = C.FAMILIES[f]
            cand = self.w.text.backbones(fam, dom, y) or [m[0] for m in C.METHODS if m[2] == fam][:1]
            pick = cand[int(r[k] * len(cand))]
            if pick not in names:
                names.append(pick)
        lm_method = self.w.model[i] if c.kind[i] == KIND_LANDMARK else None
        if lm_method:
            names.insert(0, lm_method)
            for m in C.METHODS:
                if m[0] == lm_method:
                    names.extend(p for p in m[7] if p not in names)
        generic = C.GENERIC_BY_FAMILY.get(C.FAMILIES[c.family[i]], ())
        for k in range(int(r[4] * 4)):
            if generic:
                g = generic[int(r[5 + k] * len(generic))]
                if g not in names:
                    names.append(g)
        return list(dict.fromkeys(names))

    def _write_methods(self, method_use: dict[str, int]) -> None:
        c = self.c
        intro_url = {}
        for i, lm in enumerate(c.landmarks):
            pos = int(np.nonzero(c.src == c.n_sim + i)[0][0])
            intro_url[lm["id"]] = (self.w.pwc_url[pos], self.w.titles[pos])
        out = GzJsonLines(self.out / "pwc" / "methods.json.gz", array=True)
        k = 0
        for name, full, family, cols, (year, _m), arxiv, title, parents, _d, _f in C.METHODS:
            links = " and ".join(f"[{p}]({_method_url(p)})" for p in parents)
            desc = f"**{name}**, or **{full}**, is a {C.FAMILY_TEXT.get(family, {}).get('noun', family)} architecture."
            if parents:
                desc += f" It builds on {links}."
            if name == "ViT":
                desc += " ViT applies a [Transformer](https://paperswithcode.com/method/transformer) directly to sequences of image patches."
            if arxiv == "-":
                paper, iy, src_url, src_title = None, (year if year < 2000 else 2000), None, None
            elif arxiv is None:
                url, t = self.off_arxiv_urls[name]
                paper, iy, src_url, src_title = {"title": t, "url": url}, 2000, f"https://proceedings.example.org/{_slug(t)}", t
            else:
                url, t = intro_url[arxiv]
                paper, iy, src_url, src_title = {"title": t, "url": url}, 2000, f"https://arxiv.org/abs/{arxiv}v1", t
            if paper and k % 9 == 4:
                iy = year  # a few methods carry their real year instead of the placeholder
            k += 1
            collections = [{"collection": cn, "area_id": aid, "area": an} for cn, aid, an in cols]
            if name == "Random Fourier Features":
                collections = [{"collection": cn, "area_id": None, "area": None} for cn, _a, _b in cols]
            out.write({"url": _method_url(name), "name": name, "full_name": full, "description": desc, "paper": paper,
                       "introduced_year": iy, "source_url": src_url, "source_title": src_title,
                       "code_snippet_url": f"https://github.com/mlgraph-sample/{_slug(name)}/blob/main/model.py#L10" if paper else "",
                       "num_papers": method_use.get(name, 0), "collections": collections})
        for name, full, cols, iy, arxiv, title in C.GENERIC_METHODS:
            if arxiv not in (None, "-"):
                url, t = intro_url[arxiv]
                paper, src_url = {"title": t, "url": url}, f"https://arxiv.org/abs/{arxiv}v1"
            elif arxiv is None:
                url, t = self.off_arxiv_urls[name]
                paper, src_url = {"title": t, "url": url}, None
            else:
                paper, src_url, t = None, None, None
            out.write({"url": _method_url(name), "name": name, "full_name": full,
                       "description": f"**{full}** is a generic component used across architectures.", "paper": paper,
                       "introduced_year": iy, "source_url": src_url, "source_title": t, "code_snippet_url": "",
                       "num_papers": method_use.get(name, 0),
                       "collections": [{"collection": cn, "area_id": aid, "area": an} for cn, aid, an in cols]})
        out.close()
        self.w.counts["pwc_methods"] = out.count

    def _code_link_rows(self, i: int, r: np.ndarray) -> list[dict]:
        c = self.c
        y = int(c.year[i])
        p_code = 0.25 + 0.35 * (min(max(y, C.FIRST_YEAR), C.LAST_YEAR) - C.FIRST_YEAR) / 13
        if r[0] >= p_code:
            return []
        rows = []
        for j in range(1 + (r[1] < 0.15)):
            u = r[2 + 2 * j]
            if u < 0.25:
                fw = "none"
            else:
                v = (u - 0.25) / 0.75
                jax = 0.0 if y < 2019 else min(0.08, 0.02 * (y - 2018))
                other = 0.03 if y >= 2019 else 0.01
                if v < jax:
                    fw = "jax"
                elif v < jax + other:
                    fw = ("mxnet", "paddle", "mindspore")[int(r[3 + 2 * j] * 3)]
                else:
                    w = (v - jax - other) / (1 - jax - other)
                    fw = "pytorch" if w < pytorch_planted_share(y) else "tf"
            owner = self.w.authors(i)[0][0].lower() + str(int(r[6 + j] * 90) + 10)
            repo = f"https://github.com/{owner}/{_slug(self.w.model[i] or 'code')}" + ("" if j == 0 else "-reimpl")
            rows.append({"paper_url": self.w.pwc_url[i], "paper_title": self.w.titles[i], "paper_arxiv_id": c.ids[i],
                         "paper_url_abs": f"https://arxiv.org/abs/{c.ids[i]}v1",
                         "paper_url_pdf": f"https://arxiv.org/pdf/{c.ids[i]}v1.pdf", "repo_url": repo,
                         "is_official": bool(j == 0 and r[8] < 0.7), "mentioned_in_paper": bool(j == 0 and r[9] < 0.6),
                         "mentioned_in_github": bool(r[10] < 0.5), "framework": fw})
        return rows

    def _write_links(self) -> None:
        c = self.c
        out = GzJsonLines(self.out / "pwc" / "links-between-papers-and-code.json.gz", array=True)
        rl = np.random.default_rng([c.seed, 13]).random((c.n, 12))
        dup = 0
        fw_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for i in np.nonzero(self.w.in_pwc)[0].tolist():
            for row in self._code_link_rows(i, rl[i]):
                out.write(row)
                fw_year[int(c.year[i])][row["framework"]] += 1
                self.links[i].append((row["repo_url"], row["framework"]))
                if rl[i, 11] < 0.01 or not dup:
                    out.write(row)
                    dup += 1
        out.close()
        self.w.counts["pwc_links_rows"] = out.count
        self.w.counts["pwc_links_duplicate_rows"] = dup
        self.w.facts["framework_by_year"] = {y: dict(v) for y, v in sorted(fw_year.items())}

    def _leaderboard_rows(self, task: str, dom: int, spec: tuple, rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
        c = self.c
        ds_name, metrics, higher, sub = spec
        cands = [i for i in np.nonzero(self.w.in_pwc & (c.domain == dom))[0].tolist() if task in self.w.tasks[i]]
        if len(cands) > 40:
            cands = sorted(rng.choice(cands, 40, replace=False).tolist())
        rows = []
        fam_bonus = {"transformer": 3.0, "diffusion": 2.5, "ssm": 2.0, "cnn": 1.0, "gnn": 1.5}
        for i in cands:
            y = int(c.year[i])
            score = 50 + 2.2 * (y - 2012) + fam_bonus.get(C.FAMILIES[c.family[i]], 0.0) + rng.normal(0, 2.0)
            vals = {}
            for mi, m in enumerate(metrics):
                v = score - 3 * mi
                vals[m] = f"{(v if higher else max(0.5, 100 - v) / 10):.2f}"
            style = rng.random()
            pid = c.ids[i]
            url = (f"https://arxiv.org/abs/{pid}" if style < 0.7 else f"http://arxiv.org/abs/{pid}v2" if style < 0.85
                   else f"https://arxiv.org/pdf/{pid}.pdf")
            link = self.links[i][0][0] if self.links[i] else None
            rows.append((score, {"code_links": [{"title": "", "url": link}] if link else [], "metrics": vals,
                                 "model_links": [], "model_name": self.w.model[i] + (" (ensemble)" if rng.random() < 0.1 else ""),
                                 "paper_date": None if rng.random() < 0.1 else _to_date(int(c.day[i])).isoformat(),
                                 "paper_title": self.w.titles[i], "paper_url": url,
                                 "uses_additional_data": bool(rng.random() < 0.15)}))
        rows.append((40.0, {"code_links": [], "metrics": {m: "-" for m in metrics}, "model_links": [],
                            "model_name": "Human performance" if dom == 0 else "Baseline (reported elsewhere)",
                            "paper_date": None, "paper_title": "", "paper_url": "", "uses_additional_data": False}))
        rows.sort(key=lambda x: -x[0])
        main = [row for _, row in rows]
        sub_rows = [dict(row) for _, row in rows[: max(1, len(rows) // 3)]] if sub else []
        return main, sub_rows

    def _write_eval_tables(self) -> None:
        c = self.c
        rng = np.random.default_rng([c.seed, 14])
        out = GzJsonLines(self.out / "pwc" / "evaluation-tables.json.gz", array=True)
        n_rows = 0
        for dom_name, tasks in C.TASKS.items():
            dom = DOMAIN_INDEX[dom_name]
            for task, area, spec in tasks:
                if spec is None:
                    continue
                ds_name, metrics, _higher, sub = spec
                rows, sub_rows = self._leaderboard_rows(task, dom, spec, rng)
                n_rows += len(rows) + len(sub_rows)
                dataset = {"dataset": ds_name, "description": f"{ds_name} is a standard benchmark for {task.lower()}.",
                           "dataset_citations": [], "dataset_links": [],
                           "sota": {"metrics": list(metrics), "rows": rows}, "subdatasets": []}
                if sub:
                    dataset["subdatasets"].append({"subdataset": sub, "dataset_citations": [], "dataset_links": [],
                                                   "description": "", "sota": {"metrics": list(metrics), "rows": sub_rows}})
                subtasks = []
                if task == "Question Answering":
                    qa_rows, _ = self._leaderboard_rows(task, dom, ("Natural Questions", ["EM"], True, None), rng)
                    n_rows += len(qa_rows)
                    subtasks.append({"task": "Open-Domain Question Answering", "description": "Answering questions from a large corpus.",
                                     "categories": [area], "datasets": [{"dataset": "Natural Questions", "description": "",
                                                                         "dataset_citations": [], "dataset_links": [],
                                                                         "sota": {"metrics": ["EM"], "rows": qa_rows}, "subdatasets": []}],
                                     "subtasks": [], "synonyms": [], "source_link": None})
                out.write({"categories": [area], "datasets": [dataset], "description": f"{task} task.",
                           "source_link": None, "subtasks": subtasks, "synonyms": [], "task": task})
        out.close()
        self.w.counts["pwc_eval_tasks"] = out.count
        self.w.counts["pwc_eval_rows"] = n_rows

    def _write_datasets(self) -> None:
        out = GzJsonLines(self.out / "pwc" / "datasets.json.gz", array=True)
        modality = {"nlp": ["Texts"], "vision": ["Images"], "speech_audio": ["Audio", "Speech"], "graphs": ["Graphs"],
                    "rl_robotics": ["Environment"], "time_series": ["Time series"], "tabular_classic": ["Tabular"],
                    "bio_medicine": ["Medical", "Biology"]}
        seen = set()
        for dom_name, tasks in C.TASKS.items():
            for task, _area, spec in tasks:
                if spec is None:
                    continue
                for name in (spec[0], spec[3]):
                    if not name or name in seen:
                        continue
                    seen.add(name)
                    intro = len(seen) % 4 != 0
                    out.write({"url": "https://paperswithcode.com/dataset/" + _slug(name), "name": name, "full_name": name,
                               "homepage": f"https://datasets.example.org/{_slug(name)}",
                               "description": f"{name} is a benchmark dataset for {task.lower()}.",
                               "paper": {"title": f"The {name} benchmark", "url": "https://paperswithcode.com/paper/" + _slug(f"the {name} benchmark")} if intro else None,
                               "introduced_date": f"{2009 + len(seen) % 12}-0{1 + len(seen) % 9}-15" if intro else None,
                               "warning": None, "modalities": modality.get(dom_name, []),
                               "tasks": [{"task": task, "url": "https://paperswithcode.com/task/" + _slug(task)}],
                               "languages": ["English"] if dom_name == "nlp" else [], "variants": [name],
                               "num_papers": 50 + 37 * len(seen), "data_loaders": []})
        out.close()
        self.w.counts["pwc_datasets"] = out.count

