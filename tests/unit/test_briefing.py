"""Briefings with fakes: wire copies, story clustering, dates and timelines, corrections and
conflicts, one footnote numbering for the whole document, progress reports."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.articles import build_article
from index.embedder import Kind
from index.search import Searcher
from index.sentences import split_sentences
from index.store import ArticleMeta, Filters, Store, open_client
from service.answering import Citation
from service.briefing import Briefer, BriefingResult, CitationBook, cluster, collapse_copies, headline_of
from service.citations import CitationChecker
from service.salience import ArticleData, load_article, to_evidence
from service.summarizing import NoMatchingArticles, Summarizer
from service.testing import HashEmbedder, ScriptedGenerator
from service.timeline import conflicts, corrections, event_date, events, facts, quantity
from tests.conftest import example_records

_TOPICS = [
    set(re.findall(r"\w+", "strike strikers striking dock dockworkers port union mediator mediated talks pay ferry")),
    set(re.findall(r"\w+", "bank rate rates inflation mortgage lender lenders monetary policy basis economists")),
    set(re.findall(r"\w+", "flood flooding floods floodwater river aldren rain evacuated shelters bridge kessling")),
]


class TopicEmbedder:
    """Deterministic embedder with a strong axis per corpus story (plus hashed words for detail)."""

    def __init__(self) -> None:
        self.words = HashEmbedder(dim=64)

    def embed(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        detail = self.words.embed(texts, kind) * 0.6
        topics = np.zeros((len(texts), len(_TOPICS)), np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            topics[row] = [sum(w in t for w in words) for t in _TOPICS]
        out = np.concatenate([topics, detail], axis=1)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return self.words.count_tokens(text)


@pytest.fixture(scope="module")
def topic_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(open_client("embedded", path=str(tmp_path_factory.mktemp("chroma"))), TopicEmbedder())
    for record in example_records():
        store.upsert(build_article(record))
    return store


def briefer(store: Store, generator: object | None = None) -> Briefer:
    gen = generator or ScriptedGenerator([])
    summ = Summarizer(store, Searcher(store, store.embedder), gen, CitationChecker(store.embedder))  # type: ignore[arg-type]
    return Briefer(summ)


def titled(store: Store, start: str) -> ArticleData:
    return load_article(store, next(m.id for m in store.catalog.values() if m.title.startswith(start)))


STRIKE = ("Dockworkers walk out", "Government names mediator", "Velmora port talks", "Velmora dockworkers accept")


# ---- grouping ------------------------------------------------------------------------------------
def test_cluster_groups_by_meaning_and_splits_by_time() -> None:
    a, b = np.asarray([1.0, 0.0, 0.0]), np.asarray([0.0, 1.0, 0.0])
    near_a = np.asarray([0.95, 0.31, 0.0]) / np.linalg.norm([0.95, 0.31, 0.0])
    day = 86400
    labels = cluster(np.stack([a, near_a, b, a]), [0, day, 2 * day, 90 * day])
    assert labels[0] == labels[1]  # similar and close in time
    assert labels[2] != labels[0]  # another subject
    assert labels[3] != labels[0]  # same words three months later: another story
    assert cluster(np.stack([a]), [0]) == [0]


def test_wire_copies_collapse_and_distinct_reports_do_not(corpus_store: Store) -> None:
    arts = [titled(corpus_store, t) for t in ("Brenmark central bank lifts", "Bank of Brenmark raises",
                                              "Kestrel Savings", *STRIKE)]
    groups = collapse_copies(arts)
    assert len(groups) == len(arts) - 1
    pair = next(g for g in groups if len(g) == 2)
    assert {g.meta.source for g in pair} == {"Coastline Press", "Meridian Wire"}
    assert pair[0].meta.published_ts < pair[1].meta.published_ts  # the earliest report leads


def test_headline_is_the_latest_relevant_development(corpus_store: Store) -> None:
    arts = [titled(corpus_store, t) for t in STRIKE]
    for a in arts:
        a.relevance = 0.5
    assert headline_of(arts).meta.title.startswith("Velmora dockworkers accept")


# ---- dates and timeline --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("VELMORA, Nov 3 (Wire) - Workers walked out at 6 a.m. on Tuesday after talks failed.", date(2026, 11, 3)),
    ("Talks are due to resume on Monday, Nov 9, at the chamber.", date(2026, 11, 9)),
    ("The shelter is due to close on Monday.", date(2026, 11, 9)),
    ("The committee met on Monday.", date(2026, 11, 2)),
    ("Work resumes next Thursday.", date(2026, 11, 12)),
    ("The comet passes the Sun on March 14, 2027.", date(2027, 3, 14)),
    ("The deal is backdated to Oct 1.", date(2026, 10, 1)),
    ("It may reach magnitude 5 in the spring.", None),
    ("Pay rose 4.5% this year.", None),
])
def test_event_dates_resolve_against_the_publication_day(text: str, expected: date | None) -> None:
    assert event_date(text, date(2026, 11, 5)) == expected  # a Thursday


def test_facts_ignore_dates_and_clock_times() -> None:
    assert facts("VELMORA, Nov 3 (Wire) - About 1,200 walked out at 6 a.m. on Nov 3, 2026.") == {"1200"}
    assert quantity("About 1,200 dockworkers walked off.", "1200") == "1,200 dockworkers"


def test_timeline_is_in_date_order_with_scheduled_events_marked(corpus_store: Store) -> None:
    arts = [titled(corpus_store, t) for t in STRIKE]
    timeline = events(arts)
    days = [e.day for e in timeline]
    assert days == sorted(days) and days[0] == date(2026, 11, 3)
    assert {e.article.meta.id for e in timeline if e.sentence.index == 0} == {a.meta.id for a in arts}
    resume = [e for e in timeline if "Work will resume" in e.sentence.text]
    assert resume and resume[0].day == date(2026, 11, 13) and resume[0].kind == "scheduled"
    assert not any("Correction" in e.sentence.text for e in timeline)


# ---- corrections and conflicts -------------------------------------------------------------------
def test_a_later_correction_is_matched_to_the_sentence_it_corrects(corpus_store: Store) -> None:
    found = corrections([titled(corpus_store, t) for t in STRIKE])
    assert len(found) == 1
    note = found[0]
    assert note.kind == "correction" and note.old == "1,200 dockworkers" and note.new == "2,100 workers"
    assert note.earlier[0].meta.title.startswith("Dockworkers walk out") and note.earlier[1].index == 0
    assert "2,100 workers joined" in note.later[-1][1].text
    assert "2,100 workers, not 1,200 dockworkers" in note.text()


def _article(aid: str, text: str, published: str, source: str) -> ArticleData:
    sentences = split_sentences(aid, text)
    vecs = HashEmbedder().embed([s.text for s in sentences])
    meta = ArticleMeta(aid, aid, "", source, published, int(np.datetime64(published[:19], "s").astype(int)), "h",
                       len(sentences))
    return ArticleData(meta, sentences, vecs)


def test_same_day_reports_with_different_numbers_are_a_conflict() -> None:
    a = _article("a", "Police said 40 people were hurt in the crash on the ring road.", "2026-11-05T10:00:00Z", "Wire")
    b = _article("b", "Police said 45 people were hurt in the crash on the ring road.", "2026-11-05T12:00:00Z", "Post")
    c = _article("c", "Police said 45 people were hurt in the crash on the ring road.", "2026-11-06T12:00:00Z", "Post")
    found = conflicts([a, b])
    assert len(found) == 1 and (found[0].old, found[0].new) == ("40 people", "45 people")
    assert "Reports differ" in found[0].text()
    assert conflicts([a, c]) == []  # a day later it is an update, not a contradiction


# ---- whole briefings -----------------------------------------------------------------------------
def _run(store: Store, topic: str, **kw: object) -> tuple[BriefingResult, list[tuple[str, int, int | None]]]:
    steps: list[tuple[str, int, int | None]] = []
    result = briefer(store).brief(topic, progress=lambda *a: steps.append(a), **kw)  # type: ignore[arg-type]
    return result, steps


def test_a_briefing_groups_the_strike_into_one_story(topic_store: Store) -> None:
    result, steps = _run(topic_store, "Velmora port strike")
    first = result.stories[0]
    titles = {a["title"] for a in first.articles}
    assert all(any(t.startswith(s) for t in titles) for s in STRIKE)
    assert not any("Bank" in t or "Aldren" in t for t in titles)
    assert first.headline.startswith("Velmora dockworkers accept")
    assert first.claims and all(c.supported and c.citations for c in first.claims)
    assert [c.kind for c in first.corrections] == ["correction"]
    corrected = [e for e in first.timeline if e.corrected]
    assert len(corrected) == 1 and corrected[0].text.startswith("About 1,200")
    assert not any("1,200" in c.text for c in first.claims)  # the summary avoids the corrected figure
    sources = [o["source"] for o in first.outlets]
    assert "Meridian Wire" in sources and "Harbor Ledger" in sources
    assert [s[0] for s in steps[:2]] == ["retrieval", "clustering"] and steps[-1][1] == steps[-1][2]
    assert any(s[0].startswith("story 1/") for s in steps)


def test_wire_copies_are_one_report_with_both_outlets(topic_store: Store) -> None:
    result, _ = _run(topic_store, "Bank of Brenmark interest rate decision")
    story = result.stories[0]
    copies = [a for o in story.outlets for a in o["articles"] if a["copy_of"]]
    assert len(copies) == 1
    sources = {o["source"] for o in story.outlets}
    assert {"Meridian Wire", "Coastline Press"} <= sources
    quoted = {i for c in story.claims for i in c.citations} | {i for e in story.timeline for i in e.citations}
    assert all(result.citations[i - 1].article_id != copies[0]["id"] for i in quoted)  # listed, not re-quoted
    assert story.corrections == []  # the copies agree on every number


def test_one_numbering_runs_through_the_whole_briefing(topic_store: Store) -> None:
    result = briefer(topic_store).brief("", Filters(since="2026-11-03", until="2026-11-12"), max_stories=3)
    assert len(result.stories) >= 2
    ids = [c.id for c in result.citations]
    assert ids == list(range(1, len(ids) + 1))
    order: list[int] = []
    for story in result.stories:  # ids appear in order of first use: summary, timeline, notes, story by story
        for group in ([c.citations for c in story.claims], [e.citations for e in story.timeline],
                      [n.citations for n in story.corrections]):
            order += [i for ids_ in group for i in ids_ if i not in order]
        assert {c.id for c in story.citations} == {i for c in story.claims for i in c.citations} | \
            {i for e in story.timeline for i in e.citations} | {i for n in story.corrections for i in n.citations}
    assert order == ids
    keys = [(c.article_id, c.sentence_index) for c in result.citations]
    assert len(keys) == len(set(keys))  # a sentence quoted twice keeps one footnote
    for c in result.citations:
        article, _ = topic_store.get(c.article_id)
        assert article.text[c.start : c.end] == c.text


def test_briefing_errors_are_clear(topic_store: Store) -> None:
    with pytest.raises(NoMatchingArticles):
        briefer(topic_store).brief("Velmora port strike", Filters(since="2027-01-01"))
    with pytest.raises(Exception, match="topic"):
        briefer(topic_store).brief("")
    with pytest.raises(Exception, match="date"):
        briefer(topic_store).brief("strike", Filters(until="yesterday"))


def test_citation_book_reuses_ids(tmp_path: Path) -> None:
    book = CitationBook()
    meta = ArticleMeta("a", "T", "https://x.example/a", "S", "2026-11-05T00:00:00Z", 0, "h", 2)
    s1, s2 = split_sentences("a", "One two three four. Five six seven eight.")
    assert book.cite(Citation.from_evidence(9, to_evidence(meta, s2))) == 1
    assert book.cite(Citation.from_evidence(3, to_evidence(meta, s1))) == 2
    assert book.cite(Citation.from_evidence(1, to_evidence(meta, s2))) == 1
    assert [c.id for c in book.subset([2, 1, 2])] == [1, 2]
