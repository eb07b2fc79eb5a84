"""Answer benchmark: accuracy, sentence-level citation precision/recall, abstention, latency.

    .venv/bin/python -m bench.bench_answers [--limit N] [--systems generative,extractive,trust-markers,top-3]
        [--articles DIR --questions F --unanswerable F --out F]   (default: examples/articles and bench/*.jsonl;
        bench/heldout*/ are sets written apart from the system, for checking that it generalises)

Real embedder, real default model, a temporary embedded Chroma holding examples/articles.
Systems compared on bench/questions.jsonl (answerable, with gold sentences) and
bench/unanswerable.jsonl:

- generative: the full pipeline (Answerer.answer)
- extractive: the same evidence plan, answer = the selected sentences, no model
- trust-markers: plain retrieval, the answer prompt, the model's own [n] markers taken as citations
- top-3: plain retrieval, the top 3 sentences cited

Scoring rules (stated, not tuned):
- a gold string marks every stored sentence that contains it (or one of its " || " alternatives:
  another sentence stating the same fact), and near-duplicates of those
  (index.search.near_duplicate: wire copy repeated in a twin article);
- gold strings of one question that lie in a *twin article pair* (most sentences of one have
  an embedding-cosine >= 0.8 counterpart in the other) are alternatives: citing either counts;
- accuracy: the gold answer's main part (before ';' or '(') is reduced to its numbers if it has
  any, else to its content words; all must appear in the answer (lower-cased, no thousands commas);
- precision = cited sentences that are gold / all cited sentences (answerable questions);
  recall = gold groups cited / all gold groups (an abstention cites nothing).
Overhead: for each generative answer, the same prompt is sent once more straight to
llama.cpp (create_chat_completion, same options); both calls start with an empty KV cache.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "answers.json"
Key = tuple[str, int]
_STOP = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "about", "roughly", "some", "by", "for", "with", "it"}

log = logging.getLogger("bench.answers")


def _norm(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    return re.sub(r"[\u2019']", "'", text)


def key_facts(answer: str) -> list[str]:
    """What a correct answer must contain: the gold answer's numbers, else its content words."""
    main = re.split(r"[;(]", answer)[0]
    nums = re.findall(r"[a-z/]*\d+(?:[.,:/]\d+)*[a-z]*", _norm(main))  # 'v3' and 'c/2026' stay whole
    if nums:
        return [n.rstrip(".") for n in nums]
    return [w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", _norm(main)) if w not in _STOP]


def accurate(gold_answer: str, answer: str) -> bool:
    """All key facts of the gold answer appear in ``answer``."""
    text = _norm(answer)
    return all(re.search(rf"(?<![\w.]){re.escape(f)}(?![\w]|\.\d)", text) for f in key_facts(gold_answer))


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Corpus:
    """Every stored sentence, twin articles, and gold groups per question."""

    def __init__(self, desk: Any) -> None:
        from index.search import near_duplicate

        self.near_duplicate = near_duplicate
        self.store = desk.store
        self.sentences: dict[Key, str] = {}
        self.vectors: dict[str, Any] = {}
        for aid in self.store.catalog:
            for s in self.store.sentences_of(aid):
                self.sentences[(aid, s.index)] = s.text
            self.vectors[aid] = self.store.sentence_vectors(aid)
        self.twins = self._twins()

    def _twins(self) -> set[frozenset[str]]:
        pairs = set()
        ids = sorted(self.vectors)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                va, vb = self.vectors[a], self.vectors[b]
                if len(va) and len(vb) and ((va @ vb.T).max(axis=1) >= 0.8).mean() >= 0.5:
                    pairs.add(frozenset((a, b)))
        return pairs

    def gold_groups(self, golds: list[str]) -> list[set[Key]]:
        groups: list[set[Key]] = []
        for g in golds:
            alternatives = g.split(" || ")  # sentences that state the same fact in other words
            hits = {k for k, t in self.sentences.items() if any(a in t for a in alternatives)}
            texts = [self.sentences[h] for h in hits]
            hits |= {k for k, t in self.sentences.items() if any(self.near_duplicate(t, x) for x in texts)}
            twin = next((grp for grp in groups if any(frozenset((a, b)) in self.twins
                                                      for a, _ in grp for b, _ in hits)), None)
            if twin is not None:
                twin |= hits
            else:
                groups.append(hits)
        return groups


def run_system(name: str, fn: Callable[[str], dict[str, Any]], questions: list[dict[str, Any]],
               corpus: Corpus) -> dict[str, Any]:
    """Run one system over all questions and score it."""
    rows = []
    for q in questions:
        t = time.perf_counter()
        out = fn(q["question"])
        ms = (time.perf_counter() - t) * 1000
        cited = set(out["cited"])
        row: dict[str, Any] = {"id": q["id"], "abstained": out["abstained"], "answer": out["answer"][:400],
                               "cited": sorted(cited), "ms": round(ms, 1), **out.get("extra", {})}
        if "gold" in q:
            groups = corpus.gold_groups(q["gold"])
            gold_keys = set().union(*groups)
            row.update(correct=accurate(q["answer"], out["answer"]) and not out["abstained"],
                       tp=len(cited & gold_keys), fp=len(cited - gold_keys),
                       groups=len(groups), found=sum(1 for g in groups if g & cited))
        rows.append(row)
        log.info("%s %s %s %.0fms", name, q["id"], "abstain" if out["abstained"] else out["answer"][:80], ms)
    return {"system": name, "rows": rows, **score(rows)}


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in rows if "groups" in r]
    una = [r for r in rows if "groups" not in r]
    tp, fp = sum(r["tp"] for r in ans), sum(r["fp"] for r in ans)
    times = sorted(r["ms"] for r in rows)
    return {
        "accuracy": round(sum(r["correct"] for r in ans) / max(1, len(ans)), 3),
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(sum(r["found"] for r in ans) / max(1, sum(r["groups"] for r in ans)), 3),
        "abstention_unanswerable": round(sum(r["abstained"] for r in una) / max(1, len(una)), 3),
        "abstention_answerable": round(sum(r["abstained"] for r in ans) / max(1, len(ans)), 3),
        "p50_ms": round(statistics.median(times), 1) if times else 0.0,
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1) if times else 0.0,
    }


def _keys(evidence: list[Any]) -> list[Key]:
    return [(e.article_id, e.sentence_index) for e in evidence]


def systems(desk: Any, overhead: list[dict[str, float]]) -> dict[str, Callable[[str], dict[str, Any]]]:
    """The compared systems, each question -> {answer, abstained, cited}."""
    from index.search import Evidence
    from service import prompts
    from service.answering import _REFUSAL
    from service.citations import markers_in, strip_markers

    answerer, gen = desk.answerer, desk.generator
    llm = getattr(gen, "llm", None)

    def generative(question: str) -> dict[str, Any]:
        if llm is not None:
            llm.reset()  # no KV-cache reuse from the previous call: a fair comparison with the raw call
        result = answerer.answer(question)
        by_id = {c.id: (c.article_id, c.sentence_index) for c in result.citations}
        cited = [by_id[i] for c in result.claims if c.supported for i in c.citations]
        if llm is not None and "generation_ms" in result.timings:
            plan = answerer.plan(question)
            assert plan is not None
            messages, _ = answerer.pack(question, plan.evidence, answerer.max_tokens)
            llm.reset()
            t = time.perf_counter()
            # as many tokens as the model wrote in the pipeline (which stops a model that rambles on)
            tokens = max(1, result.stats.get("generated_pieces") or result.stats.get("completion_tokens", 1))
            llm.create_chat_completion(messages=messages, max_tokens=tokens, temperature=0.0, seed=0)
            raw = (time.perf_counter() - t) * 1000
            overhead.append({"raw_ms": raw, "total_ms": result.timings["total_ms"]})
        return {"answer": result.answer, "abstained": result.abstained, "cited": cited,
                "extra": {"mode": result.mode, "stats": result.stats, "timings": result.timings}}

    def extractive(question: str) -> dict[str, Any]:
        plan = answerer.plan(question)
        if plan is None:
            return {"answer": "", "abstained": True, "cited": []}
        picks = plan.evidence[: plan.answers]
        return {"answer": " ".join(e.text for e in picks), "abstained": False, "cited": _keys(picks)}

    def retrieved(question: str) -> list[Evidence]:
        return [e for e in desk.searcher.search(question, None, answerer.top_k, min_relevance=answerer.min_relevance)]

    def trust_markers(question: str) -> dict[str, Any]:
        evidence = retrieved(question)
        if not evidence:
            return {"answer": "", "abstained": True, "cited": []}
        messages = prompts.render("answer", question=question, evidence=evidence)
        text = "".join(gen.stream(messages, max_tokens=answerer.max_tokens, temperature=0.0))
        if _REFUSAL.search(text):
            return {"answer": text, "abstained": True, "cited": []}
        cited = [_keys(evidence)[m - 1] for m in markers_in(text) if 1 <= m <= len(evidence)]
        return {"answer": strip_markers(text), "abstained": False, "cited": cited}

    def top3(question: str) -> dict[str, Any]:
        evidence = retrieved(question)[:3]
        return {"answer": " ".join(e.text for e in evidence), "abstained": not evidence, "cited": _keys(evidence)}

    return {"generative": generative, "extractive": extractive, "trust-markers": trust_markers, "top-3": top3}


def table(results: list[dict[str, Any]]) -> str:
    head = ("| system | accuracy | citation precision | citation recall | abstain (unanswerable) "
            "| abstain (answerable) | p50 ms | p95 ms |\n|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in results:
        lines.append(f"| {r['system']} | {r['accuracy']:.2f} | {r['precision']:.2f} | {r['recall']:.2f} | "
                     f"{r['abstention_unanswerable']:.2f} | {r['abstention_answerable']:.2f} | "
                     f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark, write bench/results/answers.json, print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="first N answerable questions (0: all)")
    parser.add_argument("--systems", default="generative,extractive,trust-markers,top-3",
                        help="comma-separated systems to run (extractive and top-3 need no model)")
    parser.add_argument("--articles", type=Path, default=ROOT / "examples" / "articles", help="corpus to index")
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "questions.jsonl")
    parser.add_argument("--unanswerable", type=Path, default=ROOT / "bench" / "unanswerable.jsonl")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the per-question results go")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)

    from index.articles import build_article
    from index.loaders import load
    from service.runtime import build
    from service.settings import Settings

    answerable = load_jsonl(args.questions)
    unanswerable = load_jsonl(args.unanswerable)
    if args.limit:
        answerable = answerable[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        desk = build(Settings(data_dir=Path(tmp), generation_timeout_s=3600))  # a busy machine is slow
        for item in load([str(args.articles)]):
            assert item.record is not None, item.error
            desk.store.upsert(build_article(item.record))
        corpus = Corpus(desk)
        desk.answerer.warm()  # as the service does once loaded and after each ingest: the index's words embedded
        desk.answerer.plan("warm-up: how many workers joined the strike?")
        overhead: list[dict[str, float]] = []
        runs = systems(desk, overhead)
        names = [n.strip() for n in args.systems.split(",") if n.strip()]
        results = [run_system(n, runs[n], answerable + unanswerable, corpus) for n in names]
    raw = sum(o["raw_ms"] for o in overhead)
    ours = sum(o["total_ms"] for o in overhead)
    summary = {
        "model": desk.answerer.generator.model_id if hasattr(desk.answerer.generator, "model_id") else "",
        "questions": len(answerable), "unanswerable": len(unanswerable),
        "overhead": {"answers_timed": len(overhead), "raw_generation_ms": round(raw, 1), "pipeline_ms": round(ours, 1),
                     "overhead_pct": round(100 * (ours - raw) / raw, 1) if raw else None},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    out = table(results)
    if raw:
        out += (f"\n\nEnd-to-end vs raw llama.cpp on the same prompts ({len(overhead)} generated answers): "
                f"pipeline {ours / 1000:.1f} s, raw create_chat_completion {raw / 1000:.1f} s, "
                f"overhead {summary['overhead']['overhead_pct']}% of generation time")
    sys.stdout.write(out + "\n")


if __name__ == "__main__":
    main()
