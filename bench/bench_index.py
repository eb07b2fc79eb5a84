"""Index benchmarks: ingest throughput vs raw encoding, search latency by corpus size, recall.

    .venv/bin/python -m bench.bench_index [--sizes 1000,10000,100000] [--quick]

Prints a markdown table and writes bench/results/index.json. Every ratio compares two
numbers measured in this same run on this machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from index.articles import Article, build_article
from index.embedder import load_embedder
from index.loaders import Loaded, load
from index.search import Searcher
from index.sentences import split_sentences
from index.store import Store, open_client
from service.ingestion import LOCAL_BATCH, LocalSink, run
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "articles"
RESULTS = ROOT / "bench" / "results" / "index.json"


def _examples() -> list[Article]:
    return [build_article(item.record) for item in load([str(EXAMPLES)]) if item.record is not None]


def _questions() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (ROOT / "bench" / "questions.jsonl").read_text().splitlines() if line.strip()]


# ---- ingest throughput --------------------------------------------------------------------
def bench_ingest(embedder: Any, copies: int, rounds: int) -> dict[str, Any]:
    """The example corpus ``copies`` times (distinct ids): the CLI's ingest path vs raw encode."""
    base = [item.record for item in load([str(EXAMPLES)]) if item.record is not None]
    records = [{**r, "id": f"{build_article(r).id}-{k}"} for k in range(copies) for r in base]
    articles = [build_article(r) for r in records]
    sentences = [s.text for a in articles for s in split_sentences(a.id, a.text)]
    embedder.embed(sentences[:64])  # warm-up
    out: dict[str, Any] = {"articles": len(articles), "sentences": len(sentences)}
    raw, ingest, encode = [], [], []
    for _ in range(rounds):  # alternate, keep the best of each: less noise from other load on the machine
        t = time.perf_counter()
        embedder.model.encode(sentences, batch_size=embedder.batch_size, normalize_embeddings=True)
        raw.append(time.perf_counter() - t)
        ingest.append(_timed_ingest(embedder, records, "mean"))
    encode.append(_timed_ingest(embedder, records, "encode"))
    out["raw_encode_s"] = min(raw)
    out["ingest_s"] = min(ingest)
    out["ingest_encoded_chunks_s"] = min(encode)
    out["raw_runs_s"], out["ingest_runs_s"] = raw, ingest
    for key in ("raw_encode", "ingest", "ingest_encoded_chunks"):
        out[f"{key}_sentences_per_s"] = len(sentences) / out[f"{key}_s"]
        out[f"{key}_articles_per_s"] = len(articles) / out[f"{key}_s"]
    out["ratio_vs_raw"] = out["raw_encode_s"] / out["ingest_s"]
    out["ratio_vs_raw_encoded_chunks"] = out["raw_encode_s"] / out["ingest_encoded_chunks_s"]
    return out


def _timed_ingest(embedder: Any, records: list[dict[str, Any]], chunk_vectors: str) -> float:
    """What `newsdesk ingest` does after loading files: build, split, chunk, embed, write (pipelined)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(open_client("embedded", path=tmp), embedder, chunk_vectors=chunk_vectors)  # type: ignore[arg-type]
        items = [Loaded(f"r{i}", r) for i, r in enumerate(records)]
        sink = LocalSink(store, pipeline=True)
        t = time.perf_counter()
        results = run(items, sink, max_chars=200_000, batch_size=LOCAL_BATCH)
        sink.close()
        elapsed = time.perf_counter() - t
        assert all(r.status == "created" for _, r in results)
        return elapsed


# ---- search latency -----------------------------------------------------------------------
class RandomEmbedder:
    """Random unit vectors (precomputed stand-ins for document vectors when building big corpora)."""

    def __init__(self, dim: int, seed: int = 0) -> None:
        self.dim, self.rng = dim, np.random.default_rng(seed)

    def embed(self, texts: Sequence[str], kind: str = "document") -> np.ndarray:
        v = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + text.count(",") + text.count(".")


class TimedEmbedder:
    """Wraps the real embedder and records how long each query embedding takes."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.times: list[float] = []

    def embed(self, texts: Sequence[str], kind: str = "document") -> np.ndarray:
        t = time.perf_counter()
        out = self.real.embed(texts, kind)
        self.times.append(time.perf_counter() - t)
        return out


def _synthetic_articles(start: int, count: int, rng: random.Random, vocab: list[str]) -> list[Article]:
    """Articles of 10 sentences of 14 words; with a 40-token budget and overlap 1, 9 chunks each."""
    sources = [f"Outlet {i}" for i in range(20)]
    out = []
    for n in range(start, start + count):
        sents = [" ".join(rng.choices(vocab, k=14)).capitalize() + "." for _ in range(10)]
        day = 1 + n % 28
        out.append(
            Article(
                id=f"syn{n}",
                title=f"Synthetic {n}",
                text=" ".join(sents),
                source=rng.choice(sources),
                published_at=f"2026-10-{day:02d}T12:00:00Z",
            )
        )
    return out


def bench_latency(real: Any, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """p50/p95 of Searcher.search at each corpus size (in chunks), query embedding reported apart."""
    rng = random.Random(7)
    words = sorted({w.lower() for q in _questions() for w in q["question"].replace("?", "").split()})
    vocab = words + [f"term{i}" for i in range(20000)]
    questions = [q["question"] for q in _questions()]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        builder = Store(open_client("embedded", path=tmp), RandomEmbedder(real.dimension), chunk_tokens=40)
        made = 0
        for size in sizes:
            t_build = time.perf_counter()
            while builder.chunks.count() < size:
                batch = _synthetic_articles(made, 500 if size > 5000 else 50, rng, vocab)
                builder.upsert_many(batch)
                made += len(batch)
            build_s = time.perf_counter() - t_build
            timed = TimedEmbedder(real)
            store = Store(builder.client, timed, chunk_tokens=40, repair=False)
            searcher = Searcher(store, timed)
            t0 = time.perf_counter()
            searcher.search(questions[0], k=10)  # BM25 index built here, outside the timings
            warm_s = time.perf_counter() - t0
            timed.times.clear()
            total = []
            for _ in range(repeats):
                for q in questions:
                    t = time.perf_counter()
                    searcher.search(q, k=10)
                    total.append(time.perf_counter() - t)
            emb = timed.times
            rest = [a - b for a, b in zip(total, emb, strict=True)]
            counts = store.counts()
            rows.append(
                {
                    "chunks": counts["chunks"],
                    "sentences": counts["sentences"],
                    "articles": counts["articles"],
                    "build_s": build_s,
                    "bm25_build_s": warm_s,
                    "queries": len(total),
                    "p50_ms": _pct(total, 50),
                    "p95_ms": _pct(total, 95),
                    "embed_p50_ms": _pct(emb, 50),
                    "embed_p95_ms": _pct(emb, 95),
                    "search_only_p50_ms": _pct(rest, 50),
                    "search_only_p95_ms": _pct(rest, 95),
                }
            )
            logging.warning("latency at %d chunks: %s", counts["chunks"], rows[-1])
    return rows


def _pct(values: list[float], q: int) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


# ---- recall -------------------------------------------------------------------------------
def bench_recall(embedder: Any) -> dict[str, Any]:
    """Recall@1/3/5 of the gold sentence on bench/questions.jsonl, channel by channel."""
    articles = _examples()
    sentences = {a.id: split_sentences(a.id, a.text) for a in articles}
    gold: dict[str, set[tuple[str, int]]] = {}
    for q in _questions():
        alternatives = [a for g in q["gold"] for a in g.split(" || ")]  # " || ": the same fact, other words
        keys = {(aid, s.index) for aid, ss in sentences.items() for s in ss for g in alternatives if g in s.text}
        if not keys:
            raise SystemExit(f"{q['id']}: gold text matches no sentence: {q['gold']}")
        gold[q["id"]] = keys
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(open_client("embedded", path=tmp), embedder)
        store.upsert_many(articles)
        variants = {
            "dense (sentences)": ("dense",),
            "dense (chunks)": ("chunks",),
            "bm25": ("bm25",),
            "dense + bm25": ("dense", "bm25"),
            "hybrid (dense + chunks + bm25)": ("dense", "chunks", "bm25"),
        }
        out: dict[str, Any] = {"questions": len(gold)}
        for name, channels in variants.items():
            searcher = Searcher(store, embedder, channels=channels)
            ranks = []
            for q in _questions():
                found = [e.key for e in searcher.search(q["question"], k=5)]
                ranks.append(next((i for i, key in enumerate(found) if key in gold[q["id"]]), None))
            out[name] = {f"R@{k}": sum(r is not None and r < k for r in ranks) / len(ranks) for k in (1, 3, 5)}
    return out


# ---- report -------------------------------------------------------------------------------
def report(results: dict[str, Any]) -> str:
    """The results as markdown tables."""
    lines: list[str] = []
    if "ingest" in results:
        lines += _ingest_table(results["ingest"])
    if "latency" in results:
        lines += _latency_table(results["latency"])
    if "recall" in results:
        lines += _recall_table(results["recall"])
    return "\n".join(lines)


def _ingest_table(ing: dict[str, Any]) -> list[str]:
    return [
        "### Ingest throughput (same sentences, same run)",
        "",
        "| path | seconds | articles/s | sentences/s | vs raw encode |",
        "|---|---|---|---|---|",
        f"| raw SentenceTransformer.encode | {ing['raw_encode_s']:.2f} | "
        f"{ing['raw_encode_articles_per_s']:.1f} | {ing['raw_encode_sentences_per_s']:.1f} | 1.00 |",
        f"| newsdesk ingest (chunk vectors = mean of sentences, default) | {ing['ingest_s']:.2f} | "
        f"{ing['ingest_articles_per_s']:.1f} | {ing['ingest_sentences_per_s']:.1f} | {ing['ratio_vs_raw']:.2f} |",
        f"| newsdesk ingest (chunk texts encoded too) | {ing['ingest_encoded_chunks_s']:.2f} | "
        f"{ing['ingest_encoded_chunks_articles_per_s']:.1f} | "
        f"{ing['ingest_encoded_chunks_sentences_per_s']:.1f} | {ing['ratio_vs_raw_encoded_chunks']:.2f} |",
        f"\n{ing['articles']} articles, {ing['sentences']} sentences.",
        "",
    ]


def _latency_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "### Search latency (Searcher.search, k=10, real query embedder)",
        "",
        "| chunks | sentences | p50 ms | p95 ms | query embed p50/p95 ms | search w/o embed p50/p95 ms | "
        "BM25 build s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['chunks']:,} | {r['sentences']:,} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['embed_p50_ms']:.1f} / {r['embed_p95_ms']:.1f} | {r['search_only_p50_ms']:.1f} / "
            f"{r['search_only_p95_ms']:.1f} | {r['bm25_build_s']:.1f} |"
        )
    return [*lines, ""]


def _recall_table(rec: dict[str, Any]) -> list[str]:
    lines = [
        f"### Recall of the gold sentence ({rec['questions']} questions, examples/articles)",
        "",
        "| ranker | R@1 | R@3 | R@5 |",
        "|---|---|---|---|",
    ]
    for name, row in rec.items():
        if isinstance(row, dict):
            lines.append(f"| {name} | {row['R@1']:.2f} | {row['R@3']:.2f} | {row['R@5']:.2f} |")
    return lines


def main() -> None:
    """Run the three benchmarks and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", default="recall,ingest,latency", help="which benchmarks to run")
    parser.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes in chunks")
    parser.add_argument("--copies", type=int, default=4, help="copies of the example corpus for the ingest run")
    parser.add_argument("--repeats", type=int, default=2, help="passes over the questions per size")
    parser.add_argument("--rounds", type=int, default=3, help="alternating raw/ingest rounds (best of each kept)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    embedder = load_embedder(Settings().embedder_path)
    results: dict[str, Any] = {"machine": f"{os.cpu_count()} CPUs"}
    parts = set(args.parts.split(","))
    if "recall" in parts:
        results["recall"] = bench_recall(embedder)
    if "ingest" in parts:
        results["ingest"] = bench_ingest(embedder, args.copies, args.rounds)
    if "latency" in parts:
        results["latency"] = bench_latency(embedder, [int(s) for s in args.sizes.split(",")], args.repeats)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(report(results))


if __name__ == "__main__":
    main()
