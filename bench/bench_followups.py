"""Does the chat's standalone question find the evidence a follow-up needs?

For each conversation in bench/followups.jsonl (a first question, maybe an answer, then a
follow-up), the evidence the answer pipeline retrieves (real embedder and Chroma over
examples/articles; no LLM needed) is checked for a gold substring, for three questions:
the follow-up alone, the history concatenated with it (naive baseline), the follow-up expanded
with salient terms of earlier turns, the follow-up searched only within the articles the earlier
turns were about (``scoped``), and both together. ``control`` rows
switch topic: expansion must not hurt them. Prints a markdown table; writes
bench/results/followups.json.

    .venv/bin/python -m bench.bench_followups
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STRATEGIES = ("alone", "concatenated", "expanded", "scoped", "scoped+expanded")


def _desk() -> Any:
    from index.articles import build_article
    from index.loaders import load
    from service.runtime import build
    from service.settings import Settings
    from service.testing import ScriptedGenerator

    desk = build(Settings(data_dir=Path(tempfile.mkdtemp(prefix="newsdesk-followups-"))), generator=ScriptedGenerator())
    for item in load([str(ROOT / "examples" / "articles")]):
        if item.record is not None:
            desk.store.upsert(build_article(item.record))
    return desk


def variants(row: dict[str, Any], desk: Any) -> dict[str, tuple[str, Any]]:
    """(question, filters) per strategy for one conversation."""
    from service.conversation import Turn, resolve, topic_filters

    turns = [Turn(m["role"], m["content"]) for m in row["history"]] + [Turn("user", row["followup"])]
    asked = " ".join(m["content"] for m in row["history"] if m["role"] == "user")
    resolved = resolve(turns)
    scope = topic_filters(desk.searcher, resolved.topic, None)
    return {"alone": (row["followup"], None), "concatenated": (f"{asked} {row['followup']}", None),
            "expanded": (resolved.question, None), "scoped": (resolved.last, scope),
            "scoped+expanded": (resolved.question, scope)}


def retrieve(desk: Any, question: str, filters: Any) -> list[Any]:
    """What the answer pipeline would see; a scope that finds nothing falls back to no scope."""
    evidence = desk.answerer.retrieve(question, filters, None)
    if not evidence and filters is not None:
        evidence = desk.answerer.retrieve(question, None, None)
    return list(evidence)


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    rows = [json.loads(line) for line in (ROOT / "bench" / "followups.jsonl").read_text().splitlines() if line]
    desk = _desk()
    out: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for row in rows:
        result: dict[str, Any] = {"id": row["id"], "control": bool(row.get("control")), "hits": {}, "questions": {}}
        for name, (question, filters) in variants(row, desk).items():
            evidence = retrieve(desk, question, filters)
            result["hits"][name] = any(g in e.text for e in evidence for g in row["gold"])
            scoped = f" [scoped to {len(filters.article_ids)} articles]" if filters else ""
            result["questions"][name] = question + scoped
        out.append(result)
    seconds = time.perf_counter() - t0
    follow = [r for r in out if not r["control"]]
    control = [r for r in out if r["control"]]
    summary = {name: {"follow_ups": sum(r["hits"][name] for r in follow) / len(follow),
                      "controls": sum(r["hits"][name] for r in control) / max(1, len(control))}
               for name in STRATEGIES}
    report = {"n_follow_ups": len(follow), "n_controls": len(control), "summary": summary,
              "seconds": round(seconds, 1), "rows": out}
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "followups.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"| retrieval question | gold in evidence: {len(follow)} follow-ups | {len(control)} topic switches |")
    print("|---|---|---|")
    for name in STRATEGIES:
        print(f"| {name} | {summary[name]['follow_ups']:.0%} | {summary[name]['controls']:.0%} |")
    print("\nwritten to bench/results/followups.json")


if __name__ == "__main__":
    main()
