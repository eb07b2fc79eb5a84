"""Bounded load run against a real newsdesk server on 127.0.0.1 (real default model).

Starts ``newsdesk serve`` in a subprocess on a fresh data dir holding examples/articles, then
for each level of concurrent users (default 1, 2, 4, 8) runs a fixed-duration closed loop: every
user streams /v1/chat/completions questions from bench/questions.jsonl back to back, and waits
1 s after a 503 before trying again. A probe reads GET /v1/models every 0.25 s meanwhile.
Reports p50/p95 latency, time to first token, throughput, share of 503s, and /v1/models latency
while generations run (next to its idle latency, measured in the same run). Prints a markdown
table and writes bench/results/load.json.

    .venv/bin/python -m bench.bench_load [--users 1,2,4,8] [--duration 40] [--queue-size 4]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RETRY_AFTER_503_S = 1.0


@dataclass
class Level:
    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)
    completion_tokens: int = 0
    ok: int = 0
    overloaded: int = 0
    errors: int = 0
    models_ms: list[float] = field(default_factory=list)
    rejected_ms: list[float] = field(default_factory=list)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(args: list[str], env: dict[str, str], **kwargs: Any) -> Any:
    code = "import sys; from service.cli import main; sys.argv = ['newsdesk', *sys.argv[1:]]; main()"
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, **kwargs)


def start_server(queue_size: int, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Ingest the examples into a fresh data dir, then serve it; returns (process, base URL)."""
    data = tempfile.mkdtemp(prefix="newsdesk-bench-")
    port = _free_port()
    env = {**os.environ, "NEWSDESK_DATA_DIR": data, "NEWSDESK_PORT": str(port), "HF_HUB_OFFLINE": "1",
           "NEWSDESK_QUEUE_SIZE": str(queue_size), "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false"}
    if _cli(["ingest", str(ROOT / "examples" / "articles")], env, stdout=subprocess.DEVNULL).wait() != 0:
        raise SystemExit("ingest failed")
    log = log_path.open("wb")
    proc = _cli(["serve", "--quiet"], env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited; see {log_path}")
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("server not ready after 300 s")


async def _one(client: httpx.AsyncClient, question: str, level: Level) -> None:
    body = {"model": "newsdesk", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": question}]}
    start = time.perf_counter()
    first: float | None = None
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        if response.status_code == 503:
            await response.aread()
            level.rejected_ms.append((time.perf_counter() - start) * 1000)
            level.overloaded += 1
            await asyncio.sleep(RETRY_AFTER_503_S)
            return
        if response.status_code != 200:
            level.errors += 1
            return
        failed = False
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            failed = failed or "error" in chunk
            if first is None and chunk.get("choices") and chunk["choices"][0]["delta"].get("content"):
                first = time.perf_counter()
            if chunk.get("usage"):
                level.completion_tokens += chunk["usage"]["completion_tokens"]
    if failed:
        level.errors += 1
        return
    level.ok += 1
    level.latencies.append(time.perf_counter() - start)
    if first is not None:
        level.ttfts.append(first - start)


async def _user(client: httpx.AsyncClient, questions: Any, level: Level, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        try:
            await _one(client, next(questions), level)
        except httpx.HTTPError:
            level.errors += 1


async def _probe(client: httpx.AsyncClient, out: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        response = await client.get("/v1/models")
        if response.status_code == 200:
            out.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.25)


async def run_level(base: str, users: int, duration: float, questions: Any) -> Level:
    """One closed-loop run with ``users`` concurrent users for ``duration`` seconds."""
    level = Level(users)
    limits = httpx.Limits(max_connections=users + 4)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as client:
        stop = asyncio.Event()
        probe = asyncio.create_task(_probe(client, level.models_ms, stop))
        start = time.monotonic()
        await asyncio.gather(*(_user(client, questions, level, start + duration) for _ in range(users)))
        level.seconds = time.monotonic() - start
        stop.set()
        await probe
    return level


async def idle_models_latency(base: str, n: int = 20) -> list[float]:
    """GET /v1/models latency with nothing else running (the baseline)."""
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(n):
            start = time.perf_counter()
            await client.get("/v1/models")
            out.append((time.perf_counter() - start) * 1000)
    return out


def summarize(level: Level) -> dict[str, Any]:
    """The reported figures of one level."""
    attempts = level.ok + level.overloaded + level.errors
    return {
        "users": level.users, "seconds": round(level.seconds, 1), "ok": level.ok, "overloaded_503": level.overloaded,
        "errors": level.errors, "share_503": round(level.overloaded / attempts, 3) if attempts else 0.0,
        "latency_p50_s": round(_pct(level.latencies, 50), 2), "latency_p95_s": round(_pct(level.latencies, 95), 2),
        "ttft_p50_s": round(_pct(level.ttfts, 50), 2), "ttft_p95_s": round(_pct(level.ttfts, 95), 2),
        "answers_per_min": round(level.ok / level.seconds * 60, 2) if level.seconds else 0.0,
        "completion_tokens_per_s": round(level.completion_tokens / level.seconds, 1) if level.seconds else 0.0,
        "models_p50_ms": round(_pct(level.models_ms, 50), 1), "models_p95_ms": round(_pct(level.models_ms, 95), 1),
        "models_max_ms": round(max(level.models_ms), 1) if level.models_ms else None,
        "rejected_503_p95_ms": round(_pct(level.rejected_ms, 95), 1) if level.rejected_ms else None,
    }


def table(rows: list[dict[str, Any]], idle: dict[str, float]) -> str:
    """Markdown table of the levels."""
    head = ("| users | answers | 503 share (p95 ms to 503) | errors | p50 latency s | p95 latency s | p50 TTFT s "
            "| p95 TTFT s | answers/min | completion tok/s | /v1/models p50 ms | p95 ms |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        rejected = f" ({r['rejected_503_p95_ms']})" if r["rejected_503_p95_ms"] is not None else ""
        cells = [r["users"], r["ok"], f"{r['share_503']:.0%}{rejected}", r["errors"], r["latency_p50_s"],
                 r["latency_p95_s"], r["ttft_p50_s"], r["ttft_p95_s"], r["answers_per_min"],
                 r["completion_tokens_per_s"], r["models_p50_ms"], r["models_p95_ms"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines.append(f"\nIdle /v1/models: p50 {idle['p50_ms']} ms, p95 {idle['p95_ms']} ms (same run, same server).")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    rows = [json.loads(line) for line in (ROOT / "bench" / "questions.jsonl").read_text().splitlines() if line]
    questions = itertools.cycle([r["question"] for r in rows])
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    proc, base = start_server(args.queue_size, results / "load_server.log")
    try:
        t0 = time.monotonic()  # the first question builds lazy state (search index, judge): not measured
        httpx.post(base + "/v1/chat/completions", timeout=600,
                   json={"model": "newsdesk", "messages": [{"role": "user", "content": next(questions)}]})
        warmup_s = round(time.monotonic() - t0, 1)
        idle_ms = await idle_models_latency(base)
        idle = {"p50_ms": round(_pct(idle_ms, 50), 1), "p95_ms": round(_pct(idle_ms, 95), 1)}
        levels = []
        for users in args.users:
            level = await run_level(base, users, args.duration, questions)
            levels.append(summarize(level))
            print(f"users={users}: {levels[-1]}", file=sys.stderr)
        metrics = httpx.get(base + "/metrics", timeout=10).text
    finally:
        proc.terminate()
        proc.wait(30)
    server = [line for line in metrics.splitlines() if line.startswith(("newsdesk_", "http_requests_total"))]
    return {"queue_size": args.queue_size, "duration_s": args.duration, "retry_after_503_s": RETRY_AFTER_503_S,
            "ttft_note": "time to the first content delta, i.e. the first complete, checked claim",
            "share_503_note": "503s over all attempts; a refused user retries after retry_after_503_s",
            "warmup_s": warmup_s, "idle_models": idle, "levels": levels, "server_metrics": server}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="1,2,4,8", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--duration", default=40.0, type=float, help="seconds per level")
    parser.add_argument("--queue-size", default=4, type=int, help="NEWSDESK_QUEUE_SIZE of the server")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "load.json"))
    args = parser.parse_args()
    report = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(table(report["levels"], report["idle_models"]))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
