"""Store: ids, created/updated/unchanged, complete replacement, delete, crash leftovers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.articles import Article, build_article
from index.chunking import chunk_sentences
from index.errors import ArticleNotFound
from index.sentences import split_sentences
from index.store import Store, open_client
from service.testing import HashEmbedder

TEXT = "The port reopened on Monday. Ships queued outside. Officials expect normal traffic by Friday."


def _all_ids(store: Store) -> dict[str, list[str]]:
    return {name: sorted(coll.get(include=[])["ids"])
            for name, coll in (("articles", store.articles), ("sentences", store.sentences), ("chunks", store.chunks))}


def test_ids_from_caller_then_url_then_content() -> None:
    by_id = build_article({"id": "my-1", "text": TEXT, "url": "https://x.example/a"})
    by_url = build_article({"text": TEXT, "url": "https://x.example/a"})
    by_url_other_text = build_article({"text": TEXT + " More.", "url": "https://x.example/a"})
    by_text = build_article({"text": TEXT})
    by_text_respaced = build_article({"text": "  " + TEXT.replace(" ", "  ") + "\n"})
    assert by_id.id == "my-1"
    assert by_url.id == by_url_other_text.id and by_url.id.startswith("u")
    assert by_text.id == by_text_respaced.id and by_text.id.startswith("c") and by_text.id != by_url.id


def test_created_unchanged_updated(fake_store: Store) -> None:
    a = build_article({"id": "a1", "title": "T", "text": TEXT})
    assert fake_store.upsert(a).status == "created"
    version = fake_store.version
    assert fake_store.upsert(a).status == "unchanged"
    assert fake_store.version == version  # a no-op leaves caches alone
    changed = build_article({"id": "a1", "title": "T", "text": TEXT + " A fourth sentence."})
    result = fake_store.upsert(changed)
    assert (result.status, result.sentences) == ("updated", 4)
    retitled = build_article({"id": "a1", "title": "New title", "text": TEXT + " A fourth sentence."})
    assert fake_store.upsert(retitled).status == "updated"


def test_update_replaces_old_sentences_and_chunks_completely(fake_store: Store) -> None:
    fake_store.upsert(build_article({"id": "a1", "text": TEXT + " The zebra escaped."}))
    fake_store.upsert(build_article({"id": "a1", "text": "A wholly new story. Nothing else."}))
    article, sentences = fake_store.get("a1")
    assert [s.text for s in sentences] == ["A wholly new story.", "Nothing else."]
    assert all(article.text[s.start : s.end] == s.text for s in sentences)
    digest = fake_store.catalog["a1"].hash
    ids = _all_ids(fake_store)
    assert len(ids["sentences"]) == 2 and all(f":{digest}:" in i for i in ids["sentences"] + ids["chunks"])
    colls = (fake_store.sentences, fake_store.chunks)
    docs = [d for coll in colls for d in coll.get(include=["documents"])["documents"]]
    assert not any("zebra" in d for d in docs)


def test_delete_removes_every_trace(fake_store: Store) -> None:
    fake_store.upsert(build_article({"id": "keep", "text": "Other story. Stays here."}))
    fake_store.upsert(build_article({"id": "gone", "text": TEXT}))
    fake_store.delete("gone")
    ids = _all_ids(fake_store)
    assert ids["articles"] == ["keep"]
    assert all(i.startswith("keep:") for i in ids["sentences"] + ids["chunks"]) and ids["sentences"]
    assert fake_store.counts() == {"articles": 1, "sentences": 2, "chunks": 1}
    with pytest.raises(ArticleNotFound):
        fake_store.get("gone")
    with pytest.raises(ArticleNotFound):
        fake_store.delete("gone")


def test_batch_upsert_matches_one_by_one_and_handles_repeated_ids(tmp_path: Path) -> None:
    arts = [build_article({"id": f"a{i}", "text": f"Story {i} begins. It has a middle. It ends {i}."})
            for i in range(5)]
    arts.append(build_article({"id": "a1", "text": "Story one, second version."}))
    emb = HashEmbedder()
    many = Store(open_client("embedded", path=str(tmp_path / "m")), emb)
    one = Store(open_client("embedded", path=str(tmp_path / "o")), emb)
    statuses = [r.status for r in many.upsert_many(arts)]
    assert statuses == ["created"] * 5 + ["updated"]
    for a in arts:
        one.upsert(a)
    assert _all_ids(many) == _all_ids(one)
    assert np.allclose(many.sentence_vectors("a3"), one.sentence_vectors("a3"))
    assert many.sentences_of("a1") == one.sentences_of("a1")


def test_stored_sentences_have_exact_offsets_and_vectors(corpus_store: Store) -> None:
    for meta in corpus_store.list_articles():
        article, sentences = corpus_store.get(meta.id)
        assert [s.index for s in sentences] == list(range(meta.sentences))
        assert all(article.text[s.start : s.end] == s.text for s in sentences)
        vecs = corpus_store.sentence_vectors(meta.id)
        assert vecs.shape == (meta.sentences, 256)
        assert np.allclose(vecs, corpus_store.embedder.embed([s.text for s in sentences]), atol=1e-5)


def test_chunk_vectors_mean_or_encoded(tmp_path: Path) -> None:
    emb = HashEmbedder()
    article = build_article({"id": "a", "text": TEXT})
    for mode in ("mean", "encode"):
        store = Store(open_client("embedded", path=str(tmp_path / mode)), emb, chunk_vectors=mode)  # type: ignore[arg-type]
        store.upsert(article)
        got = store.chunks.get(include=["embeddings", "documents"])
        vec = np.asarray(got["embeddings"][0])
        if mode == "encode":
            want = emb.embed([got["documents"][0]])[0]
        else:
            mean = emb.embed([s.text for s in split_sentences("a", article.text)]).mean(axis=0)
            want = mean / np.linalg.norm(mean)
        assert np.allclose(vec, want, atol=1e-5)


def test_reopening_sweeps_records_a_killed_ingest_left(tmp_path: Path) -> None:
    path = str(tmp_path / "c")
    emb = HashEmbedder()
    store = Store(open_client("embedded", path=path), emb)
    store.upsert(build_article({"id": "a1", "text": TEXT}))
    # what a process killed between writing sentences and the article record leaves behind
    half = build_article({"id": "half", "text": "Half written. Never visible."})
    sents = split_sentences("half", half.text)
    chunks = chunk_sentences(sents, emb.count_tokens)
    ids = [f"half:{half.content_hash}:{s.index}" for s in sents]
    metas = [{"article_id": "half", "hash": half.content_hash, "index": s.index, "start": s.start, "end": s.end,
              "source": "", "published_ts": 0} for s in sents]
    store._add(store.sentences, ids, emb.embed([s.text for s in sents]), [s.text for s in sents], metas)
    assert len(chunks) == 1
    store.catalog.clear()
    reopened = Store(open_client("embedded", path=path), emb)
    assert list(reopened.catalog) == ["a1"]
    assert reopened.counts() == {"articles": 1, "sentences": 3, "chunks": 1}
    assert reopened.repair() == 0


def test_article_record_metadata(fake_store: Store) -> None:
    a = Article(id="x", title="T", text="One. Two.", url="https://e.example/x", source="S",
                published_at="2026-11-03T08:15:00Z")
    fake_store.upsert(a)
    [meta] = fake_store.list_articles()
    assert (meta.title, meta.url, meta.source, meta.published_at, meta.sentences, meta.chunks) == (
        "T", "https://e.example/x", "S", "2026-11-03T08:15:00Z", 2, 1)
    assert meta.published_ts == 1793693700
