"""Cited summaries: salient sentences -> (map-reduce) generation -> every sentence checked.

1. Sources: the requested articles (ids), or the articles that match a query and filters.
2. Salience (``service/salience.py``): a diverse pool of central, early, relevant sentences.
3. Generation: the pool is numbered into the prompt most salient first (a weak model that only
   copies then copies the right sentences). A pool too large for one prompt is cut into
   sections of whole sentences (map); their checked partial summaries are
   fused (reduce). A partial summary carries the ORIGINAL sentence numbers it cites, so the
   final text is checked against and cites source sentences, never intermediate text.
4. Checking: each generated sentence goes through ``CitationChecker`` and must contain every
   number and name it states in its cited sentences. A failing sentence is replaced by the
   source sentence that best supports it, or dropped. Missing length is filled with the most
   salient unused source sentences, so a model too weak to help still yields a correct
   extractive summary (``mode``).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from index.errors import ArticleNotFound, InvalidRequest
from index.search import Evidence, Searcher, near_duplicate, tokens
from index.store import Filters, Store
from service import prompts
from service.answerability import looks_like_injection
from service.answering import Citation, ClaimOut, ContextTooLong, join_claims
from service.citations import CitationChecker, Claim, parse_claims
from service.llm import Generator, context_size, count_tokens, model_id
from service.salience import (
    ArticleData,
    Pool,
    article_info,
    build_pool,
    load_article,
    rank_articles,
)
from service.text import content_stems, content_words, names, numbers, strip_dateline

if TYPE_CHECKING:
    from service.runtime import Newsdesk

log = logging.getLogger(__name__)

SummaryMode = Literal["generative", "mixed", "extractive"]
Messages = list[dict[str, str]]
_MIN_WORDS = 4
_FLUSH = re.compile(r"[.!?\]\n]")
_FINISHED = re.compile(r"[.!?\])\"'\u201d\u2019]\s*$")
NOTHING_TO_SUMMARIZE = "The selected articles hold no sentence that can be summarized."


class NoMatchingArticles(ArticleNotFound):
    """No indexed article matches the request (404)."""

    code = "no_matching_articles"


# ---- results ----------------------------------------------------------------------------
@dataclass
class Part:
    """One checked sentence of a (partial) summary; ``positions`` are 1-based pool positions."""

    text: str
    positions: list[int]
    support: float
    origin: Literal["model", "source"]


@dataclass
class SummaryResult:
    """A summary in the answer's shape (DESIGN.md section 2) with its text in ``summary``."""

    summary: str
    abstained: bool
    mode: SummaryMode
    claims: list[ClaimOut]
    citations: list[Citation]
    articles: list[dict[str, str]]
    model: str
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def assemble(parts: Sequence[Part], pool: Sequence[Evidence]) -> tuple[str, list[ClaimOut], list[Citation]]:
    """Summary text, claims and citations numbered in order of first use."""
    ids: dict[int, int] = {}
    citations: list[Citation] = []
    claims: list[ClaimOut] = []
    for part in parts:
        for pos in part.positions:
            if pos not in ids:
                ids[pos] = len(citations) + 1
                citations.append(Citation.from_evidence(ids[pos], pool[pos - 1]))
        claims.append(ClaimOut(part.text, [ids[p] for p in part.positions], True, round(part.support, 3)))
    text = join_claims(claims)
    return text, claims, citations


def mode_of(parts: Sequence[Part]) -> SummaryMode:
    """generative: all model-written; extractive: all quoted; mixed otherwise."""
    origins = {p.origin for p in parts}
    if origins == {"model"}:
        return "generative"
    return "mixed" if "model" in origins else "extractive"


# ---- the summarizer ---------------------------------------------------------------------
class Summarizer:
    """Summaries of articles or of a query's matching articles, every sentence cited and checked."""

    def __init__(
        self, store: Store, searcher: Searcher, generator: Generator, checker: CitationChecker, *,
        temperature: float = 0.0, prompt_tokens: int = 1500, pool_min: int = 16, pool_max: int = 64,
        max_articles: int = 12, article_floor: float = 0.2, article_ratio: float = 0.6, replace_floor: float = 0.4,
    ) -> None:
        self.store = store
        self.searcher = searcher
        self.generator = generator
        self.checker = checker
        self.temperature = temperature
        self.prompt_tokens = prompt_tokens
        self.pool_min = pool_min
        self.pool_max = pool_max
        self.max_articles = max_articles
        self.article_floor = article_floor
        self.article_ratio = article_ratio
        self.replace_floor = replace_floor

    # ---- sources ----------------------------------------------------------------------------
    def query_vector(self, query: str) -> np.ndarray | None:
        """Embedding of ``query`` (None for an empty query)."""
        return self.searcher.embedder.embed([query], "query")[0] if query.strip() else None

    def match_articles(self, query: str, filters: Filters | None, limit: int | None = None) -> list[ArticleData]:
        """Articles about ``query`` within ``filters``, most relevant first (relevance set)."""
        qvec = self.query_vector(query)
        if qvec is None:
            raise InvalidRequest("the query is empty")
        found = rank_articles(self.store, self.searcher, query, qvec, filters)
        if not found:
            return []
        floor = max(self.article_floor, self.article_ratio * found[0].relevance)
        return [d for d in found if d.relevance >= floor][: limit or self.max_articles]

    def sources(self, article_ids: Sequence[str], query: str, filters: Filters | None) -> list[ArticleData]:
        """The articles a summary request covers; clear errors when there are none."""
        if filters is not None:
            filters.bounds()  # a bad date is the caller's error, before any work
        if article_ids:
            return [load_article(self.store, aid) for aid in dict.fromkeys(article_ids)]
        if query.strip():
            found = self.match_articles(query, filters)
            if not found:
                raise NoMatchingArticles(f"no indexed article matches {query!r}" + _filter_note(filters))
            return found
        if filters is None or filters.is_empty():
            raise InvalidRequest("give article_ids, a query, or filters (sources/since/until) to summarize")
        metas = self.store.list_articles(filters)[: self.max_articles]
        if not metas:
            raise NoMatchingArticles("no indexed article matches the filters" + _filter_note(filters))
        return [load_article(self.store, m.id) for m in metas]

    # ---- entry points -----------------------------------------------------------------------
    def summarize(
        self, article_ids: Sequence[str] = (), query: str = "", filters: Filters | None = None,
        max_sentences: int = 3, *, extractive: bool = False,
    ) -> SummaryResult:
        """Summarize articles by id, or the articles matching ``query``/``filters``."""
        t0 = time.perf_counter()
        articles = self.sources(article_ids, query, filters)
        timings = {"retrieval_ms": _ms(t0)}
        result = self.summarize_articles(articles, max_sentences, focus=query, extractive=extractive)
        result.timings = {**timings, **result.timings, "total_ms": _ms(t0)}
        return result

    def summarize_articles(
        self, articles: Sequence[ArticleData], max_sentences: int = 3, *, focus: str = "", extractive: bool = False,
        exclude: frozenset[tuple[str, int]] = frozenset(),
    ) -> SummaryResult:
        """Summary of already-loaded articles; ``exclude`` keeps superseded sentences out."""
        t0 = time.perf_counter()
        size = min(self.pool_max, max(self.pool_min, 3 * max_sentences, 4 * len(articles)))
        pool = build_pool(articles, size, self.query_vector(focus), exclude)
        timings = {"selection_ms": _ms(t0)}
        stats = {"pool": len(pool.evidence), "calls": 0, "sections": 0, "model_sentences": 0, "quoted": 0,
                 "replaced": 0, "dropped": 0, "filled": 0}
        t1 = time.perf_counter()
        if extractive or not pool.evidence:
            parts = self._extract(pool, list(range(1, len(pool.evidence) + 1)), max_sentences, [])
            stats["filled"] = len(parts)
        else:
            parts = self._map_reduce(pool, max_sentences, focus, stats)
        timings["generation_ms"] = _ms(t1)
        parts.sort(key=lambda p: min(p.positions))
        text, claims, citations = assemble(parts, pool.evidence)
        if not parts:
            text = NOTHING_TO_SUMMARIZE
        infos = [article_info(a.meta) for a in articles]
        return SummaryResult(text, not parts, mode_of(parts), claims, citations, infos, model_id(self.generator),
                             timings, stats)

    # ---- map-reduce -------------------------------------------------------------------------
    def _map_reduce(self, pool: Pool, limit: int, focus: str, stats: dict[str, int]) -> list[Part]:
        multi = len({e.article_id for e in pool.evidence}) > 1
        max_tokens = self._max_tokens(limit)
        positions = [i + 1 for i in pool.by_rank()]

        def render_map(items: Sequence[int]) -> Messages:
            shown = [_shown(pool.evidence[p - 1], multi) for p in items]
            return prompts.render("summarize", sources=shown, max_sentences=limit, focus=focus)

        sections = self._sections(positions, render_map, max_tokens)
        stats["sections"] = len(sections)
        partials: list[Part] = []
        for section in sections:
            text = self._generate(render_map(section), max_tokens, stats, limit)
            partials += self._accept(text, pool, section, limit, stats, self._extract_fill(pool, section))
        for _ in range(4):  # each round fuses groups of partial summaries; a few rounds reach one group
            if len(sections) == 1 and len(partials) <= limit:
                return partials
            partials, sections = self._reduce(pool, partials, limit, focus, stats)
            if len(sections) == 1:
                return partials
        return sorted(partials, key=lambda p: min(pool.rank[i - 1] for i in p.positions))[:limit]

    def _reduce(self, pool: Pool, partials: list[Part], limit: int, focus: str,
                stats: dict[str, int]) -> tuple[list[Part], list[list[int]]]:
        max_tokens = self._max_tokens(limit)

        def render_reduce(items: Sequence[int]) -> Messages:
            shown = [{"text": partials[i - 1].text} for i in items]
            return prompts.render("summarize_reduce", partials=shown, max_sentences=limit, focus=focus)

        groups = self._sections(list(range(1, len(partials) + 1)), render_reduce, max_tokens)
        fused: list[Part] = []
        for group in groups:
            text = self._generate(render_reduce(group), max_tokens, stats, limit)
            # Markers name partial summaries; each stands for the original sentences it cites.
            cited = sorted({p for i in group for p in partials[i - 1].positions})
            translate = {n: [cited.index(p) + 1 for p in partials[group[n - 1] - 1].positions]
                         for n in range(1, len(group) + 1)}
            ranked = sorted((partials[i - 1] for i in group), key=lambda p: min(pool.rank[i - 1] for i in p.positions))
            fused += self._accept(text, pool, cited, limit, stats, ranked, translate)
        return fused, groups

    def _sections(
        self, items: list[int], render: Callable[[Sequence[int]], Messages], max_tokens: int,
    ) -> list[list[int]]:
        """Consecutive runs of ``items`` whose rendered prompt fits the budget (sentence-aligned)."""
        budget = min(self.prompt_tokens, context_size(self.generator) - max_tokens - 32)
        sections: list[list[int]] = []
        current: list[int] = []
        for item in items:
            if current and self._tokens(render([*current, item])) > budget:
                sections.append(current)
                current = []
            if not current and self._tokens(render([item])) > budget:
                log.warning("a sentence alone overflows the prompt budget (%d tokens); left out", budget)
                continue
            current.append(item)
        if current:
            sections.append(current)
        if not sections:
            raise ContextTooLong(f"no source sentence fits the model's context ({budget} tokens): raise NEWSDESK_N_CTX")
        return sections

    # ---- checking ---------------------------------------------------------------------------
    def _accept(
        self, text: str, pool: Pool, scope: list[int], limit: int, stats: dict[str, int], fill: list[Part],
        translate: dict[int, list[int]] | None = None,
    ) -> list[Part]:
        """Checked sentences of ``text``; ``scope`` lists the pool positions its markers number."""
        evidence = [pool.evidence[p - 1] for p in scope]
        vectors = pool.vectors[[p - 1 for p in scope]]
        # Only a salient sentence may stand in for a failed one; else the fill picks by salience.
        salient = [pool.rank[p - 1] < max(limit, len(pool.rank) // 2) for p in scope]
        parts: list[Part] = []
        claims = parse_claims(text)
        if claims and not _FINISHED.search(text):  # the model stopped mid-sentence (token limit)
            claims.pop()
            stats["dropped"] += 1
        for claim in claims:
            if len(parts) >= limit:
                break
            body = strip_dateline(claim.text)
            if len(body.split()) < _MIN_WORDS or looks_like_injection(body):
                stats["dropped"] += 1
                continue
            markers = claim.markers if translate is None else [m for n in claim.markers for m in translate.get(n, [])]
            part = self._check(Claim(body, markers), evidence, vectors, salient, stats)
            if part is None:
                continue
            part.positions = [scope[i - 1] for i in part.positions]
            if not _repeats(part, parts):
                parts.append(part)
        for extra in fill:
            if len(parts) >= limit:
                break
            if not _repeats(extra, parts):
                parts.append(extra)
                stats["filled"] += 1
        return parts

    def _check(self, claim: Claim, evidence: list[Evidence], vectors: np.ndarray, salient: list[bool],
               stats: dict[str, int]) -> Part | None:
        """A checked model sentence, its best (salient) source sentence instead, or None."""
        checked = self.checker.check(claim, evidence, vectors=vectors)
        cited = [evidence[i - 1] for i in checked.citations]
        if checked.supported and facts_in(claim.text, cited):
            if len(cited) == 1 and not compresses(claim.text, cited[0].text):
                # A near-copy of one sentence adds nothing but the risk of a changed word: quote it.
                stats["quoted"] += 1
                return Part(strip_dateline(cited[0].text), checked.citations, 1.0, "source")
            stats["model_sentences"] += 1
            return Part(_sentence(claim.text), checked.citations, checked.support, "model")
        scores = self.checker.scores(claim.text, evidence, vectors)
        best = int(np.argmax(scores)) if len(scores) else -1
        if best >= 0 and scores[best] >= self.replace_floor and salient[best]:
            stats["replaced"] += 1
            log.info("unsupported summary sentence replaced by its best source: %r", claim.text)
            return Part(strip_dateline(evidence[best].text), [best + 1], 1.0, "source")
        stats["dropped"] += 1
        log.info("unsupported summary sentence dropped: %r", claim.text)
        return None

    def _extract_fill(self, pool: Pool, section: list[int]) -> list[Part]:
        return self._extract(pool, section, len(section), [])

    def _extract(self, pool: Pool, scope: list[int], limit: int, taken: list[Part]) -> list[Part]:
        """The most salient sentences of ``scope`` quoted as they stand."""
        out: list[Part] = []
        for pos in sorted(scope, key=lambda p: pool.rank[p - 1]):
            part = Part(strip_dateline(pool.evidence[pos - 1].text), [pos], 1.0, "source")
            if len(out) >= limit:
                break
            if not _repeats(part, [*taken, *out]):
                out.append(part)
        return out

    # ---- model ------------------------------------------------------------------------------
    def _max_tokens(self, limit: int) -> int:
        return min(1024, 40 * limit + 24)

    def _tokens(self, messages: Messages) -> int:
        return sum(count_tokens(self.generator, m["content"]) + 8 for m in messages)

    def _generate(self, messages: Messages, max_tokens: int, stats: dict[str, int], limit: int) -> str:
        """The model's reply, cut short once it holds a couple of sentences more than ``limit``.

        Small models keep listing sources long after the summary is complete; everything past
        ``limit + 1`` sentences would be thrown away, so it is not worth the wait.
        """
        stats["calls"] += 1
        pieces = self.generator.stream(messages, max_tokens=max_tokens, temperature=self.temperature)
        text = ""
        try:
            for piece in pieces:
                text += piece
                if _FLUSH.search(piece) and len(parse_claims(text)) > limit + 1:
                    stats["cut_short"] = stats.get("cut_short", 0) + 1
                    break
            return text
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()


def facts_in(text: str, cited: Sequence[Evidence], coverage: float = 0.8) -> bool:
    """``text`` states nothing its cited sentences (or their titles) do not.

    Every number and name must appear in them, and at least ``coverage`` of its content words:
    a summary sentence may compress and fuse its sources but not add to them. The checker
    scores each cited sentence alone; this looks at all of them together, as a fusion needs.
    """
    blob = " ".join(f"{e.text} {e.title}" for e in cited)
    known = names(blob) | {w.lower() for w in content_words(blob)}
    if numbers(text) - numbers(blob) or names(text) - known:
        return False
    words = content_stems(text)
    return not words or len(words & content_stems(blob)) / len(words) >= coverage


def compresses(text: str, cited: str, ratio: float = 0.75) -> bool:
    """Whether ``text`` is clearly shorter than the sentence it restates."""
    return len(text.split()) <= ratio * len(strip_dateline(cited).split())


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?\"'”’" else text + "."


def _repeats(part: Part, parts: Sequence[Part]) -> bool:
    """Whether ``part`` says again what one of ``parts`` says: near-identical words, the same quoted source,
    or words all contained in an earlier sentence ("The article has been updated." after "The error was
    introduced during editing, and the article has been updated.")."""
    return any(near_duplicate(part.text, p.text, 0.6) or (part.origin == "source" and part.positions == p.positions)
               or _contained(part.text, p.text) for p in parts)


def _contained(text: str, other: str, share: float = 0.9) -> bool:
    words, others = set(tokens(text)), set(tokens(other))
    return len(words) >= 3 and len(words & others) >= share * len(words)


def _shown(e: Evidence, with_meta: bool) -> dict[str, str]:
    meta = f"({e.source or 'unknown source'}, {(e.published_at or 'undated')[:10]}) " if with_meta else ""
    return {"text": strip_dateline(e.text), "meta": meta}


def _filter_note(filters: Filters | None) -> str:
    if filters is None or filters.is_empty():
        return ""
    return " within the filters; widen since/until/sources"


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


def summarizer_for(desk: Newsdesk) -> Summarizer:
    """A Summarizer over an assembled core (cheap: it only holds references)."""
    return Summarizer(desk.store, desk.searcher, desk.generator, desk.checker, temperature=desk.settings.temperature)
