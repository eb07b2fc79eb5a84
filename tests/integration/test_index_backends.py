"""The same store and search checks against embedded Chroma and a real `chroma run` server,
with the real embedder."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from index.articles import build_article
from index.search import Searcher
from index.store import Filters, Store, open_client
from tests.conftest import example_records

pytestmark = pytest.mark.integration
CHROMA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "chroma"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A `chroma run` server on 127.0.0.1 for this module; stopped afterwards."""
    exe = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
    assert exe, "the chroma CLI (installed with chromadb) is missing"
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("chroma run did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class CachedEmbedder:
    """The real embedder with a memo, so both backends reuse the same vectors (CI time)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.memo: dict[str, np.ndarray] = {}
        self.model, self.max_tokens = real.model, real.max_tokens
        self.count_tokens_many, self.truncate = real.count_tokens_many, real.truncate

    def embed(self, texts: Sequence[str], kind: str = "document") -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self.memo))
        for text, vec in zip(todo, self.real.embed(todo, kind) if todo else [], strict=True):
            self.memo[text] = vec
        return np.stack([self.memo[t] for t in texts]) if texts else self.real.embed([], kind)


@pytest.fixture(scope="module")
def embedder(real_embedder) -> CachedEmbedder:  # type: ignore[no-untyped-def]
    return CachedEmbedder(real_embedder)


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path, embedder: CachedEmbedder) -> Store:
    if request.param == "server":
        port = request.getfixturevalue("chroma_server")
        client = open_client("server", host="127.0.0.1", port=port)
    else:
        client = open_client("embedded", path=str(tmp_path / "chroma"))
    return Store(client, embedder, prefix=f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def corpus(store: Store) -> Store:
    store.upsert_many([build_article(r) for r in example_records()])
    return store


def test_ingest_update_delete_round_trip(corpus: Store) -> None:
    n_sent = sum(m.sentences for m in corpus.catalog.values())
    n_chunks = sum(m.chunks for m in corpus.catalog.values())
    assert corpus.counts() == {"articles": 15, "sentences": n_sent, "chunks": n_chunks}
    assert {r.status for r in corpus.upsert_many([build_article(r) for r in example_records()])} == {"unchanged"}
    record = next(r for r in example_records() if "comet" in str(r["title"]).lower())
    aid = build_article(record).id
    result = corpus.upsert(build_article({**record, "text": "The comet faded. Astronomers were disappointed."}))
    assert (result.status, result.sentences) == ("updated", 2)
    assert [s.text for s in corpus.sentences_of(aid)] == ["The comet faded.", "Astronomers were disappointed."]
    corpus.delete(aid)
    assert corpus.counts()["articles"] == 14
    assert not corpus.sentences.get(where={"article_id": aid})["ids"]
    assert not corpus.chunks.get(where={"article_id": aid})["ids"]
    reopened = Store(corpus.client, corpus.embedder, prefix=corpus.articles.name.removesuffix("_articles"))
    assert set(reopened.catalog) == set(corpus.catalog) and reopened.repair() == 0


def test_search_finds_gold_sentence_and_respects_filters(corpus: Store) -> None:
    searcher = Searcher(corpus, corpus.embedder)
    hits = searcher.search("How many workers joined the Velmora port strike on its first day?", k=5)
    assert any("2,100 workers joined the strike" in h.text for h in hits)
    narrowed = searcher.search("port strike workers", Filters(sources=("Harbor Ledger",), since="2026-11-10"), k=5)
    assert narrowed and all(h.source == "Harbor Ledger" and h.published_at >= "2026-11-10" for h in narrowed)


def test_wire_copy_appears_once_and_off_topic_query_gives_nothing(corpus: Store) -> None:
    searcher = Searcher(corpus, corpus.embedder)
    hits = searcher.search("What did Governor Ilse Marchetti say about price pressures?", k=10)
    assert sum("We cannot look through price pressures" in h.text for h in hits) == 1
    assert searcher.search("How do I reset my router password?", k=5, min_relevance=0.3) == []


def test_no_chunk_exceeds_the_embedder_window(store: Store) -> None:
    tokenizer = store.embedder.model.tokenizer  # type: ignore[attr-defined]
    long_sentence = " ".join(f"Clause {i} of the harbour agreement covers berth {i}," for i in range(60)) + " and ends."
    text = " ".join(f"Sentence {i} reports that ships number {i * 7} near quay {i}." for i in range(40))
    wide = Store(store.client, store.embedder, prefix=f"w{uuid.uuid4().hex[:8]}", chunk_tokens=256, chunk_overlap=2)
    for s in (store, wide):
        s.upsert(build_article({"id": "long", "text": f"{text}\n{long_sentence}\n{text}"}))
        docs = s.chunks.get(include=["documents"])["documents"]
        lengths = [len(tokenizer(d)["input_ids"]) for d in docs]  # with [CLS] and [SEP]
        assert len(docs) > 5 and max(lengths) <= 256
    assert max(lengths) > 230  # the wide store really packs close to the window
