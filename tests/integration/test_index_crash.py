"""Crash safety for real: an ingest process killed with SIGKILL leaves no half article visible,
and running the same ingest again converges to what a clean ingest gives."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.articles import build_article
from index.search import Searcher
from index.store import Store, open_client
from service.testing import HashEmbedder

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PYTHONPATH": str(ROOT)}

# Ingests a JSON list of records with the hash embedder; SIGKILLs itself right after its
# KILL_AT-th write call to Chroma (0: never), wherever that falls in the write sequence.
KILLER = """
import json, os, signal, sys
from chromadb.api.models.Collection import Collection
from index.articles import build_article
from index.store import Store, open_client
from service.testing import HashEmbedder
path, kill_at, records = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
store = Store(open_client("embedded", path=path), HashEmbedder())
writes = 0
def counted(fn):
    def wrapper(*args, **kwargs):
        global writes
        fn(*args, **kwargs)
        writes += 1
        if writes == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    return wrapper
Collection.upsert = counted(Collection.upsert)
Collection.delete = counted(Collection.delete)
store.upsert_many([build_article(r) for r in records])
print("writes", writes)
"""


def _records(version: int, n: int = 12) -> list[dict[str, object]]:
    """n articles; version 2 rewrites the even ones and adds two."""
    out = []
    for i in range(n + (2 if version == 2 else 0)):
        changed = version == 2 and i % 2 == 0
        body = " ".join(f"Story {i} {'revised ' if changed else ''}fact {j} about harbour berth {i * 10 + j}."
                        for j in range(3 + i % 4 + (2 if changed else 0)))
        out.append({"id": f"s{i}", "title": f"Story {i}", "text": body, "source": f"Outlet {i % 3}"})
    return out


def _run(path: Path, kill_at: int, records: list[dict[str, object]], tmp: Path) -> subprocess.CompletedProcess[str]:
    data = tmp / f"records-{kill_at}-{len(records)}.json"
    data.write_text(json.dumps(records))
    return subprocess.run([sys.executable, "-c", KILLER, str(path), str(kill_at), str(data)], env=ENV,
                          capture_output=True, text=True, timeout=120)


def assert_no_half_article(store: Store, allowed: dict[str, set[str]]) -> None:
    """Every visible article is one complete version: all its sentences, exact, with vectors."""
    for meta in store.list_articles():
        assert meta.hash in allowed[meta.id]
        article, sentences = store.get(meta.id)
        assert article.content_hash == meta.hash
        assert [s.index for s in sentences] == list(range(meta.sentences)) and sentences
        assert all(article.text[s.start : s.end] == s.text for s in sentences)
        assert store.sentence_vectors(meta.id).shape[0] == meta.sentences
        current = {"$and": [{"article_id": meta.id}, {"hash": meta.hash}]}
        assert len(store.chunks.get(where=current)["ids"]) == meta.chunks


def _snapshot(store: Store) -> tuple[dict[str, int], dict[str, str], list[list[tuple[str, int]]]]:
    searcher = Searcher(store, store.embedder)
    queries = ["revised fact about harbour berth", "Story 3 fact", "berth 42"]
    return (store.counts(), {m.id: m.hash for m in store.list_articles()},
            [[e.key for e in searcher.search(q, k=5)] for q in queries])


def _hashes(*versions: list[dict[str, object]]) -> dict[str, set[str]]:
    allowed: dict[str, set[str]] = {}
    for records in versions:
        for r in records:
            allowed.setdefault(str(r["id"]), set()).add(build_article(r).content_hash)
    return allowed


def test_killed_at_every_write_converges(tmp_path: Path) -> None:
    v1, v2 = _records(1), _records(2)
    clean = Store(open_client("embedded", path=str(tmp_path / "clean")), HashEmbedder())
    clean.upsert_many([build_article(r) for r in v1])
    clean.upsert_many([build_article(r) for r in v2])
    want = _snapshot(clean)
    base = tmp_path / "base"
    assert _run(base, 0, v1, tmp_path).returncode == 0
    shutil.copytree(base, tmp_path / "probe")
    probe = _run(tmp_path / "probe", 0, v2, tmp_path)  # how many writes v2 over v1 takes
    assert probe.returncode == 0, probe.stderr
    writes = int(probe.stdout.split()[-1])
    assert writes == 3 + 2 * 6  # sentences, chunks, articles; then two deletes per updated article
    allowed = _hashes(v1, v2)
    for kill_at in range(1, writes + 1):
        case = tmp_path / f"kill{kill_at}"
        shutil.copytree(base, case)
        killed = _run(case, kill_at, v2, tmp_path)
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stdout, killed.stderr)
        store = Store(open_client("embedded", path=str(case)), HashEmbedder())  # sweeps leftovers on open
        assert_no_half_article(store, allowed)
        store.upsert_many([build_article(r) for r in v2])  # the same ingest again
        assert _snapshot(store) == want, kill_at


def test_real_cli_killed_mid_ingest_then_rerun(tmp_path: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "articles"
    folder.mkdir()
    records = _records(1, n=400)  # several ingest batches: the kill lands long before the end
    for r in records:
        (folder / f"{r['id']}.json").write_text(json.dumps(r))
    data_dir = tmp_path / "data"
    env = {**ENV, "NEWSDESK_DATA_DIR": str(data_dir)}
    cli = [str(ROOT / ".venv" / "bin" / "newsdesk"), "ingest", str(folder)]
    proc = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = data_dir / "chroma" / "chroma.sqlite3"
    deadline = time.monotonic() + 120
    size = 0
    while proc.poll() is None and time.monotonic() < deadline:  # wait for the first batch to land
        if db.exists():
            size = size or db.stat().st_size
            if db.stat().st_size > size:
                break
        time.sleep(0.02)
    time.sleep(random.uniform(0, 0.3))  # anywhere in the ingest: the checks hold for every moment
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    allowed = _hashes(records)
    shutil.copytree(data_dir / "chroma", tmp_path / "after-kill")  # inspect a copy: the original goes on
    store = Store(open_client("embedded", path=str(tmp_path / "after-kill")), real_embedder)
    assert_no_half_article(store, allowed)
    assert len(store.catalog) < len(records)  # it really was cut short
    rerun = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    shutil.copytree(data_dir / "chroma", tmp_path / "after-rerun")
    final = Store(open_client("embedded", path=str(tmp_path / "after-rerun")), real_embedder, repair=False)
    assert len(final.catalog) == len(records)
    assert_no_half_article(final, allowed)
    assert final.counts() == {"articles": len(records), "sentences": sum(m.sentences for m in final.catalog.values()),
                              "chunks": sum(m.chunks for m in final.catalog.values())}
    hits = Searcher(final, real_embedder).search("Story 43 fact 1 about harbour berth 431", k=3)
    assert hits and hits[0].article_id == "s43"
