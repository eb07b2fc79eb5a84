"""Summary and briefing benchmark: supported-citation share, ROUGE-1/2 against references, time.

    .venv/bin/python -m bench.bench_summaries [--limit N] [--sentences 3] [--skip-briefings]

Real embedder, real default model, a temporary embedded Chroma holding examples/articles.
Systems, each summarizing every article of bench/reference_summaries.jsonl (12 hand-written
references) in ``--sentences`` sentences:

- generative: the full pipeline (Summarizer.summarize: salience pool, model, checks, fallback)
- extractive: the same salience pool, most salient sentences quoted, no model
- lead-3: the article's first sentences (the classic news baseline), dateline removed

Scores (stated, not tuned):
- supported: the share of output sentences that an independent CitationChecker call, given
  only that sentence's own cited sentences, confirms (goal 100%; lead-3 cites nothing and is
  not scored);
- ROUGE-1/2 F1 (rouge-score, Porter stemming) of the summary text (markers removed) against
  the reference;
- time per summary (wall clock, this machine, same run for every system).
Briefings: the three topics of bench/topics.json, generative; time per briefing, stories,
citations and the supported share of their summary sentences.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
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
RESULTS = ROOT / "bench" / "results" / "summaries.json"
log = logging.getLogger("bench.summaries")


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def build_desk(tmp: str) -> tuple[Any, dict[str, str]]:
    """The real core over examples/articles; file stem -> article id."""
    from index.articles import build_article
    from index.loaders import load
    from service.runtime import build
    from service.settings import Settings

    desk = build(Settings(data_dir=Path(tmp)))
    ids: dict[str, str] = {}
    for item in load([str(ROOT / "examples" / "articles")]):
        if item.record is None:
            continue
        article = build_article(item.record)
        desk.store.upsert(article)
        ids[Path(item.origin).stem] = article.id
    return desk, ids


def supported_share(desk: Any, claims: list[Any], citations: list[Any]) -> tuple[int, int]:
    """(confirmed, total): each claim re-checked against only its own cited sentences."""
    from index.search import Evidence
    from service.citations import Claim

    by_id = {c.id: c for c in citations}
    ok = 0
    for claim in claims:
        cited = [by_id[i] for i in claim.citations if i in by_id]
        evidence = [Evidence(c.article_id, c.sentence_index, c.text, c.start, c.end, c.title, c.url, c.source,
                             c.published_at, 0.0, 0.0) for c in cited]
        if evidence:
            checked = desk.checker.check(Claim(claim.text, list(range(1, len(evidence) + 1))), evidence)
            ok += int(checked.supported and not checked.reattached)
    return ok, len(claims)


def lead(desk: Any, article_id: str, n: int) -> str:
    from service.text import strip_dateline

    _, sentences = desk.store.get(article_id)
    return " ".join(strip_dateline(s.text) for s in sentences[:n])


def rouge(scorer: Any, reference: str, text: str) -> tuple[float, float]:
    from service.citations import strip_markers

    scores = scorer.score(reference, strip_markers(text))
    return scores["rouge1"].fmeasure, scores["rouge2"].fmeasure


def run_summaries(desk: Any, ids: dict[str, str], refs: list[dict[str, Any]], sentences: int) -> dict[str, Any]:
    from rouge_score import rouge_scorer

    from service.summarizing import summarizer_for

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    summarizer = summarizer_for(desk)
    systems: dict[str, Callable[[str], tuple[str, list[Any], list[Any], str]]] = {
        "generative": lambda aid: _summary(summarizer.summarize([aid], max_sentences=sentences)),
        "extractive": lambda aid: _summary(summarizer.summarize([aid], max_sentences=sentences, extractive=True)),
        "lead-3": lambda aid: (lead(desk, aid, sentences), [], [], "lead"),
    }
    out: dict[str, Any] = {}
    for name, fn in systems.items():
        rows = []
        for ref in refs:
            t0 = time.perf_counter()
            text, claims, citations, mode = fn(ids[ref["article"]])
            seconds = time.perf_counter() - t0
            r1, r2 = rouge(scorer, ref["summary"], text)
            ok, total = supported_share(desk, claims, citations) if claims else (0, 0)
            rows.append({"article": ref["article"], "rouge1": r1, "rouge2": r2, "supported": ok, "sentences": total,
                         "seconds": seconds, "mode": mode, "summary": text})
            log.info("%s %s: R1 %.3f R2 %.3f %d/%d %.1fs", name, ref["article"], r1, r2, ok, total, seconds)
        out[name] = {"rows": rows, **_aggregate(rows)}
    return out


def _summary(result: Any) -> tuple[str, list[Any], list[Any], str]:
    return result.summary, result.claims, result.citations, result.mode


def _aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = sum(r["sentences"] for r in rows)
    modes: dict[str, int] = {}
    for r in rows:
        modes[r["mode"]] = modes.get(r["mode"], 0) + 1
    return {
        "rouge1": statistics.mean(r["rouge1"] for r in rows),
        "rouge2": statistics.mean(r["rouge2"] for r in rows),
        "supported_share": (sum(r["supported"] for r in rows) / total) if total else None,
        "seconds_mean": statistics.mean(r["seconds"] for r in rows),
        "seconds_median": statistics.median(r["seconds"] for r in rows),
        "modes": modes,
    }


def run_briefings(desk: Any, topics: list[str]) -> list[dict[str, Any]]:
    from service.briefing import briefer_for

    briefer = briefer_for(desk)
    rows = []
    for topic in topics:
        t0 = time.perf_counter()
        result = briefer.brief(topic)
        seconds = time.perf_counter() - t0
        claims = [c for s in result.stories for c in s.claims]
        ok, total = supported_share(desk, claims, result.citations)
        rows.append({"topic": topic, "seconds": seconds, "stories": len(result.stories),
                     "articles": result.stats["articles"], "citations": len(result.citations),
                     "supported": ok, "sentences": total,
                     "corrections": sum(len(s.corrections) for s in result.stories),
                     "modes": [s.mode for s in result.stories]})
        log.info("briefing %r: %.1fs, %d stories", topic, seconds, len(result.stories))
    return rows


def table(summaries: dict[str, Any], briefings: list[dict[str, Any]]) -> str:
    lines = ["system       ROUGE-1  ROUGE-2  supported       s/summary  modes"]
    for name, res in summaries.items():
        share = "n/a (no citations)" if res["supported_share"] is None else f"{100 * res['supported_share']:.1f}%"
        lines.append(f"{name:<12} {res['rouge1']:.3f}    {res['rouge2']:.3f}    {share:<15} "
                     f"{res['seconds_mean']:>8.2f}   {res['modes']}")
    if briefings:
        lines += ["", "briefing topic                                s/briefing  stories  citations  supported  notes"]
        for b in briefings:
            share = f"{b['supported']}/{b['sentences']}"
            lines.append(f"{b['topic']:<45} {b['seconds']:>9.1f}  {b['stories']:>7}  {b['citations']:>9}  "
                         f"{share:>9}  {b['corrections']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="Only the first N reference summaries")
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--skip-briefings", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    refs = load_jsonl(ROOT / "bench" / "reference_summaries.jsonl")
    refs = refs[: args.limit] if args.limit else refs
    topics = json.loads((ROOT / "bench" / "topics.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        desk, ids = build_desk(tmp)
        summarizer_warmup = desk.answerer.generator
        "".join(summarizer_warmup.stream([{"role": "user", "content": "Say OK."}], max_tokens=4))
        summaries = run_summaries(desk, ids, refs, args.sentences)
        briefings = [] if args.skip_briefings else run_briefings(desk, topics)
        model = getattr(desk.generator, "model_id", "")
    report = {"model": model, "sentences": args.sentences, "articles": len(refs), "summaries": summaries,
              "briefings": briefings, "machine": f"{os.cpu_count()} CPUs"}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.write(table(summaries, briefings) + f"\n\n(results in {RESULTS.relative_to(ROOT)})\n")


if __name__ == "__main__":
    main()
