"""Hybrid search over the example corpus (hash embedder): fusion, diversity, filters, floor."""

from __future__ import annotations

from pathlib import Path

import pytest

import index.search as search_mod
from index.articles import build_article
from index.errors import InvalidRequest
from index.search import Searcher, rrf
from index.store import Filters, Store, open_client
from service.testing import HashEmbedder
from tests.conftest import example_records

MARCHETTI = "What did Governor Ilse Marchetti say about price pressures embedded in wages and services?"


def test_rrf_rewards_agreement_and_weights() -> None:
    a, b, c = ("x", 0), ("x", 1), ("y", 0)
    fused = rrf({"dense": [[a], [b]], "bm25": [[b], [c]]}, {"dense": 1.0, "bm25": 1.0}, k=60)
    assert fused[b] == pytest.approx(1 / 61 + 1 / 60)
    assert max(fused, key=fused.__getitem__) == b  # found by both beats first in one
    chunks = rrf({"chunks": [[a, b, c]]}, {"chunks": 0.5}, k=60)
    assert chunks == {a: 0.5 / 60, b: 0.5 / 60, c: 0.5 / 60}  # a chunk's sentences share its rank


def test_each_channel_and_hybrid_find_a_rare_name(corpus_store: Store) -> None:
    for channels in (("dense",), ("bm25",), ("dense", "chunks", "bm25")):
        top = Searcher(corpus_store, corpus_store.embedder, channels=channels).search("Margit Solberg mediator", k=3)
        assert "Solberg" in top[0].text, channels


def test_bm25_channel_matches_stems(corpus_store: Store) -> None:
    hits = Searcher(corpus_store, corpus_store.embedder, channels=("bm25",)).search("arbitrators mediating", k=5)
    assert hits and all(("arbitrat" in h.text.lower() or "mediat" in h.text.lower()) for h in hits)


def test_evidence_carries_exact_offsets_and_metadata(corpus_store: Store) -> None:
    hits = Searcher(corpus_store, corpus_store.embedder).search("How many workers joined the strike?", k=8)
    assert len(hits) == 8
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        article, _ = corpus_store.get(h.article_id)
        assert article.text[h.start : h.end] == h.text
        assert (h.title, h.source, h.published_at) == (article.title, article.source, article.published_at)


def test_wire_copies_do_not_both_appear(corpus_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    searcher = Searcher(corpus_store, corpus_store.embedder)
    quote = "We cannot look through price pressures"
    hits = searcher.search(MARCHETTI, k=10)
    assert sum(quote in h.text for h in hits) == 1
    # without the diversity step both wire copies are there: the check above is not vacuous
    monkeypatch.setattr(search_mod, "DUPLICATE_COSINE", 2.0)
    monkeypatch.setattr(search_mod, "_overlapping", lambda a, b: False)
    assert sum(quote in h.text for h in searcher.search(MARCHETTI, k=10)) == 2


def test_filters_restrict_every_channel(corpus_store: Store) -> None:
    searcher = Searcher(corpus_store, corpus_store.embedder)
    by_source = searcher.search("port strike pay", Filters(sources=("Harbor Ledger",)), k=10)
    assert by_source and {h.source for h in by_source} == {"Harbor Ledger"}
    window = searcher.search("port strike pay", Filters(since="2026-11-06", until="2026-11-10"), k=10)
    assert window and all("2026-11-06" <= h.published_at[:10] <= "2026-11-10" for h in window)
    assert {h.published_at[:10] for h in window} >= {"2026-11-06", "2026-11-10"}  # bare until: the whole day
    one = next(m.id for m in corpus_store.list_articles() if "floods" in m.title.lower() or "flood" in m.title.lower())
    only = searcher.search("port strike pay", Filters(article_ids=(one,)), k=5)
    assert only and {h.article_id for h in only} == {one}
    assert searcher.search("port strike", Filters(sources=("Nobody",))) == []
    for channels in (("bm25",), ("dense",), ("chunks",)):
        narrowed = Searcher(corpus_store, corpus_store.embedder, channels=channels).search(
            "port strike", Filters(sources=("Coastline Press",)), k=10)
        assert {h.source for h in narrowed} <= {"Coastline Press"}, channels


def test_bad_date_filter_is_a_request_error(corpus_store: Store) -> None:
    with pytest.raises(InvalidRequest, match="bad date filter"):
        Searcher(corpus_store, corpus_store.embedder).search("strike", Filters(since="last tuesday"))


def test_relevance_floor_turns_an_off_topic_query_into_nothing(tmp_path: Path) -> None:
    embedder = HashEmbedder(dim=4096)  # wide enough that hash collisions do not fake relevance
    store = Store(open_client("embedded", path=str(tmp_path)), embedder)
    store.upsert_many([build_article(r) for r in example_records()])
    searcher = Searcher(store, embedder)
    off_topic = "xylophone zeppelin quasar marmalade"
    assert searcher.search(off_topic, k=5, min_relevance=0.0)  # without a floor something always comes back
    assert searcher.search(off_topic, k=5, min_relevance=0.3) == []
    on_topic = searcher.search("Velmora dockworkers strike pay deal", k=5, min_relevance=0.3)
    assert on_topic and max(h.relevance for h in on_topic) >= 0.3


def test_search_sees_updates_and_deletes(corpus_store: Store) -> None:
    searcher = Searcher(corpus_store, corpus_store.embedder)
    assert searcher.search("okapi sanctuary", k=3, min_relevance=0.3) == []
    corpus_store.upsert(build_article({"id": "zoo", "text": "An okapi sanctuary opened in Ostrand."}))
    assert searcher.search("okapi sanctuary", k=3, min_relevance=0.3)[0].article_id == "zoo"
    corpus_store.delete("zoo")
    assert searcher.search("okapi sanctuary", k=3, min_relevance=0.3) == []
    assert searcher.search("", k=3) == []
