"""Briefings: the articles on a topic, grouped into stories, each with a cited summary and timeline.

1. Retrieval: the articles that match the topic (and filters), as the summarizer finds them.
2. Wire copies: articles that share most of their sentences are one report; the earliest is
   used, every outlet is listed.
3. Stories: average-linkage clustering of article centroids (stored sentence embeddings), with
   a distance penalty for articles far apart in time.
4. Per story: a headline (the title of its most relevant recent article), a checked, cited summary
   (without sentences a later report corrected), a dated timeline, corrections and conflicts
   between reports (citing both), and its outlets.

One citation numbering runs through the whole briefing (order of first use), so footnotes in
the Markdown and HTML renderings are unique; each story also lists its own citations.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from index.errors import InvalidRequest
from index.search import near_duplicate
from index.store import Filters
from service.answering import Citation, ClaimOut, join_claims
from service.salience import ArticleData, article_info, load_article, to_evidence
from service.summarizing import NoMatchingArticles, Summarizer, SummaryMode, SummaryResult, summarizer_for
from service.text import strip_dateline
from service.timeline import Discrepancy, Event, conflicts, corrections, events, is_correction, to_day

if TYPE_CHECKING:
    from service.runtime import Newsdesk

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]  # (what is happening, steps done, steps in all)


def _silent(_: str, __: int, ___: int | None) -> None:
    return None


# ---- grouping -------------------------------------------------------------------------------
def wire_copies(a: ArticleData, b: ArticleData, share: float = 0.6) -> bool:
    """Whether two articles are the same report (most sentences nearly identical, or same vector)."""
    if len(a.vectors) and len(b.vectors) and float(a.centroid @ b.centroid) >= 0.97:
        return True
    small, big = (a, b) if len(a.sentences) <= len(b.sentences) else (b, a)
    if not small.sentences:
        return False
    same = sum(1 for s in small.sentences if any(near_duplicate(s.text, t.text, 0.6) for t in big.sentences))
    return same / len(small.sentences) >= share


def collapse_copies(articles: Sequence[ArticleData]) -> list[list[ArticleData]]:
    """Groups of wire copies, earliest first in each group; groups in input order."""
    groups: list[list[ArticleData]] = []
    for data in articles:
        home = next((g for g in groups if any(wire_copies(data, other) for other in g)), None)
        if home is None:
            groups.append([data])
        else:
            home.append(data)
    return [sorted(g, key=lambda d: (d.meta.published_ts, d.meta.id)) for g in groups]


def cluster(vectors: np.ndarray, timestamps: Sequence[int], threshold: float = 0.5,
            window_days: float = 10.0, per_day: float = 0.05) -> list[int]:
    """Story label per item: average-linkage clustering on cosine distance plus a time penalty."""
    n = len(vectors)
    if n <= 1:
        return [0] * n
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    dist = 1.0 - np.clip(vectors @ vectors.T, -1.0, 1.0)
    days = np.abs(np.subtract.outer(np.asarray(timestamps, float), np.asarray(timestamps, float))) / 86400.0
    dist = dist + np.clip(days - window_days, 0.0, None) * per_day
    np.fill_diagonal(dist, 0.0)
    labels = fcluster(linkage(squareform((dist + dist.T) / 2, checks=False), method="average"), t=threshold,
                      criterion="distance")
    return [int(x) - 1 for x in labels]


def headline_of(primaries: Sequence[ArticleData]) -> ArticleData:
    """The article whose title heads the story: relevant and recent (the latest development).

    Relevance to the topic when there is one, else closeness to the story's centroid; each day
    after the story's first report adds 0.02, so a settlement outranks the first walkout report.
    """
    first = min(d.meta.published_ts for d in primaries)
    cents = np.asarray([d.centroid for d in primaries])
    mean = cents.mean(axis=0)
    closeness = cents @ (mean / (float(np.linalg.norm(mean)) or 1.0))
    use_topic = any(d.relevance for d in primaries)

    def score(i: int) -> float:
        base = primaries[i].relevance if use_topic else float(closeness[i])
        return base + 0.02 * (primaries[i].meta.published_ts - first) / 86400.0

    return primaries[max(range(len(primaries)), key=score)]


# ---- results ----------------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    """One dated event, quoted from (and citing) its source sentence."""

    date: str
    text: str
    citations: list[int]
    article_id: str
    source: str
    kind: str  # "reported" (on or before publication) or "scheduled" (announced for later)
    corrected: bool = False  # a later report corrected this sentence


@dataclass
class NoteOut:
    """A correction or a conflict between reports, citing the sentences on both sides."""

    kind: str
    text: str
    citations: list[int]
    old: str
    new: str


@dataclass
class Story:
    """One story of a briefing: a summary section (answer shape) plus timeline, notes, outlets."""

    id: str
    headline: str
    headline_article_id: str
    summary: str
    abstained: bool
    mode: SummaryMode
    claims: list[ClaimOut]
    citations: list[Citation]
    timeline: list[TimelineEntry]
    corrections: list[NoteOut]
    outlets: list[dict[str, Any]]
    articles: list[dict[str, str]]
    model: str
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class BriefingResult:
    """A whole briefing; ``citations`` numbers every quoted sentence once, in order of first use."""

    topic: str
    filters: dict[str, Any]
    generated_at: str
    model: str
    stories: list[Story]
    citations: list[Citation]
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class CitationBook:
    """Citation ids for source sentences, in order of first use across a whole document."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, int], int] = {}
        self.citations: list[Citation] = []

    def cite(self, c: Citation) -> int:
        """The id of ``c``'s sentence, numbering it if it is new."""
        key = (c.article_id, c.sentence_index)
        if key not in self.ids:
            self.ids[key] = len(self.citations) + 1
            self.citations.append(Citation(**{**asdict(c), "id": self.ids[key]}))
        return self.ids[key]

    def subset(self, ids: Sequence[int]) -> list[Citation]:
        """The citations with these ids, by id."""
        return [self.citations[i - 1] for i in sorted(set(ids))]


def renumber(result: SummaryResult, book: CitationBook) -> tuple[str, list[ClaimOut]]:
    """A summary's text and claims with the book's ids instead of the summary's own."""
    local = {c.id: c for c in result.citations}
    claims = [ClaimOut(c.text, [book.cite(local[i]) for i in c.citations], c.supported, c.support)
              for c in result.claims]
    text = join_claims(c for c in claims if c.supported)
    return (text or result.summary), claims


# ---- the briefer ------------------------------------------------------------------------------
class Briefer:
    """Builds briefings with a Summarizer (which holds the store, model and checker)."""

    def __init__(self, summarizer: Summarizer, *, max_articles: int = 40, cluster_threshold: float = 0.5) -> None:
        self.summarizer = summarizer
        self.max_articles = max_articles
        self.cluster_threshold = cluster_threshold

    def articles(self, topic: str, filters: Filters | None) -> list[ArticleData]:
        """The articles a briefing covers, or a clear error."""
        if filters is not None:
            filters.bounds()
        if topic.strip():
            found = self.summarizer.match_articles(topic, filters, self.max_articles)
            if not found:
                raise NoMatchingArticles(f"no indexed article is about {topic!r}; try other words or wider dates")
            return found
        if filters is None or filters.is_empty():
            raise InvalidRequest("give a topic, or filters (sources/since/until/article_ids) for the briefing")
        metas = self.summarizer.store.list_articles(filters)[: self.max_articles]
        if not metas:
            raise NoMatchingArticles("no indexed article matches the filters; widen since/until/sources")
        return [load_article(self.summarizer.store, m.id) for m in metas]

    def stories(self, articles: Sequence[ArticleData], max_stories: int) -> list[list[list[ArticleData]]]:
        """Stories (lists of wire-copy groups), most relevant first."""
        groups = collapse_copies(articles)
        labels = cluster(np.asarray([g[0].centroid for g in groups]), [g[0].meta.published_ts for g in groups],
                         self.cluster_threshold)
        stories: dict[int, list[list[ArticleData]]] = {}
        for label, group in zip(labels, groups, strict=True):
            stories.setdefault(label, []).append(group)

        def weight(story: list[list[ArticleData]]) -> tuple[float, int, int]:
            return (max(g[0].relevance for g in story), len(story), max(g[0].meta.published_ts for g in story))

        ranked = sorted(stories.values(), key=weight, reverse=True)[:max_stories]
        return [sorted(s, key=lambda g: g[0].meta.published_ts) for s in ranked]

    def brief(
        self, topic: str = "", filters: Filters | None = None, *, max_stories: int = 5, summary_sentences: int = 4,
        extractive: bool = False, progress: Progress | None = None,
    ) -> BriefingResult:
        """The briefing on ``topic`` within ``filters``."""
        report = progress or _silent
        t0 = time.perf_counter()
        report("retrieval", 0, None)
        found = self.articles(topic, filters)
        timings = {"retrieval_ms": _ms(t0)}
        report("clustering", 1, None)
        t1 = time.perf_counter()
        stories = self.stories(found, max_stories)
        timings["clustering_ms"] = _ms(t1)
        total = 2 + len(stories)
        book = CitationBook()
        out: list[Story] = []
        for n, groups in enumerate(stories, start=1):
            lead = headline_of([g[0] for g in groups])
            report(f"story {n}/{len(stories)}: {lead.meta.title[:60]}", 1 + n, total)
            out.append(self.story(f"story-{n}", groups, topic, summary_sentences, extractive, book))
        report("done", total, total)
        timings["total_ms"] = _ms(t0)
        stats = {"articles": len(found), "stories": len(out), "citations": len(book.citations)}
        return BriefingResult(topic, _filters_dict(filters), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              self.summarizer_model(), out, book.citations, timings, stats)

    def summarizer_model(self) -> str:
        """Name of the model behind the summaries."""
        from service.llm import model_id

        return model_id(self.summarizer.generator)

    def story(self, sid: str, groups: list[list[ArticleData]], topic: str, sentences: int, extractive: bool,
              book: CitationBook) -> Story:
        """One story section, numbered into ``book``."""
        t0 = time.perf_counter()
        primaries = [g[0] for g in groups]
        everything = [d for g in groups for d in g]
        notes = corrections(everything)
        noted = {(d.earlier[0].meta.id, d.earlier[1].index) for d in notes}
        notes += [c for c in conflicts(everything) if (c.earlier[0].meta.id, c.earlier[1].index) not in noted]
        notices = {(d.meta.id, s.index) for d in everything for s in d.sentences if is_correction(s.text)}
        skip = frozenset(noted | notices)
        result = self.summarizer.summarize_articles(primaries, sentences, focus=topic, extractive=extractive,
                                                    exclude=skip)
        summary, claims = renumber(result, book)
        timeline = [self._entry(e, book, noted) for e in events(primaries, skip=skip - noted)]
        notes_out = [self._note(d, book) for d in notes]
        ids = [i for c in claims for i in c.citations] + [i for e in timeline for i in e.citations] + \
            [i for note in notes_out for i in note.citations]
        lead = headline_of(primaries)
        return Story(sid, lead.meta.title, lead.meta.id, summary, result.abstained, result.mode, claims,
                     book.subset(ids), timeline, notes_out, outlets(groups), [article_info(d.meta) for d in everything],
                     result.model, {**result.timings, "total_ms": _ms(t0)}, result.stats)

    def _entry(self, e: Event, book: CitationBook, corrected: set[tuple[str, int]]) -> TimelineEntry:
        cid = book.cite(Citation.from_evidence(0, to_evidence(e.article.meta, e.sentence)))
        return TimelineEntry(to_day(e.day), strip_dateline(e.sentence.text), [cid], e.article.meta.id,
                             e.article.meta.source, e.kind, (e.article.meta.id, e.sentence.index) in corrected)

    def _note(self, d: Discrepancy, book: CitationBook) -> NoteOut:
        cited = [d.earlier, *d.later]
        ids = [book.cite(Citation.from_evidence(0, to_evidence(a.meta, s))) for a, s in cited]
        return NoteOut(d.kind, d.text(), ids, d.old, d.new)


def outlets(groups: Sequence[Sequence[ArticleData]]) -> list[dict[str, Any]]:
    """Who covered the story: each source with its articles (wire copies marked), earliest first."""
    copy_of = {d.meta.id: g[0].meta.id for g in groups for d in g[1:]}
    by_source: dict[str, list[ArticleData]] = {}
    for data in sorted((d for g in groups for d in g), key=lambda d: d.meta.published_ts):
        by_source.setdefault(data.meta.source or "unknown source", []).append(data)
    return [{"source": src, "articles": [{**article_info(d.meta), "copy_of": copy_of.get(d.meta.id, "")}
                                         for d in items]} for src, items in by_source.items()]


def _filters_dict(filters: Filters | None) -> dict[str, Any]:
    if filters is None:
        return {}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(filters).items() if v}


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


def briefer_for(desk: Newsdesk) -> Briefer:
    """A Briefer over an assembled core."""
    return Briefer(summarizer_for(desk))
