"""Grounded answers: retrieve -> pack evidence -> generate -> check every claim -> cite.

One streaming implementation (``Answerer.stream``) yields each claim only once it is complete
and checked; ``Answerer.answer`` consumes the same stream. When the model's text holds no
supported claim the answer falls back to the best evidence sentences (``mode: extractive``);
when the evidence does not answer the question it abstains.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from index.errors import NewsdeskError
from index.search import Evidence, Searcher
from index.store import Filters
from service import prompts
from service.citations import CheckedClaim, CitationChecker, Claim, content_words, parse_claims
from service.llm import Generator, context_size, count_tokens, model_id

log = logging.getLogger(__name__)

ABSTAIN_MESSAGE = "The indexed articles do not answer this question."
_REFUSAL = re.compile(r"NOT\s+IN\s+(THE\s+)?SOURCES?", re.IGNORECASE)
_FLUSH = re.compile(r"[.!?\]\n]")

Mode = Literal["generative", "extractive", "abstained"]


class ContextTooLong(NewsdeskError):
    """The request does not fit the model's context window even with one evidence sentence."""

    code = "context_too_long"


@dataclass
class Citation:
    """A checked source sentence as clients see it; ``text == article.text[start:end]``."""

    id: int
    article_id: str
    sentence_index: int
    text: str
    start: int
    end: int
    title: str
    url: str
    source: str
    published_at: str


@dataclass
class ClaimOut:
    """A claim in the response: its text, the citation ids it carries, its support."""

    text: str
    citations: list[int]
    supported: bool
    support: float


@dataclass
class ClaimEvent:
    """One checked claim ready to send: ``text`` already carries its ``[n]`` markers."""

    text: str
    claim: ClaimOut


@dataclass
class AnswerResult:
    """The full answer (DESIGN.md section 2)."""

    answer: str
    abstained: bool
    mode: Mode
    claims: list[ClaimOut]
    citations: list[Citation]
    model: str
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class _Numbering:
    """Maps evidence positions to citation ids in order of first use."""

    def __init__(self, evidence: Sequence[Evidence]) -> None:
        self.evidence = evidence
        self.ids: dict[int, int] = {}
        self.citations: list[Citation] = []

    def cite(self, position: int) -> int:
        if position not in self.ids:
            e = self.evidence[position - 1]
            cid = len(self.citations) + 1
            self.ids[position] = cid
            self.citations.append(Citation(cid, e.article_id, e.sentence_index, e.text, e.start, e.end,
                                           e.title, e.url, e.source, e.published_at))
        return self.ids[position]

    def emit(self, checked: CheckedClaim) -> ClaimEvent:
        ids = [self.cite(p) for p in checked.citations]
        marks = "".join(f"[{i}]" for i in ids)
        text = checked.text if not marks else _attach(checked.text, marks)
        return ClaimEvent(text, ClaimOut(checked.text, ids, checked.supported, round(checked.support, 3)))


def _attach(text: str, marks: str) -> str:
    """Put markers before the final punctuation: 'X happened [1].'"""
    if text and text[-1] in ".!?":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}"


class Answerer:
    """Answers questions from the index with checked citations."""

    def __init__(
        self, searcher: Searcher, generator: Generator, checker: CitationChecker, *,
        top_k: int = 10, min_relevance: float = 0.3, max_tokens: int = 256, temperature: float = 0.0,
    ) -> None:
        self.searcher = searcher
        self.generator = generator
        self.checker = checker
        self.top_k = top_k
        self.min_relevance = min_relevance
        self.max_tokens = max_tokens
        self.temperature = temperature

    # ---- evidence -----------------------------------------------------------------------
    def retrieve(self, question: str, filters: Filters | None, top_k: int | None) -> list[Evidence]:
        """Evidence for ``question``; empty when nothing relevant is indexed."""
        evidence = self.searcher.search(question, filters, top_k or self.top_k, min_relevance=self.min_relevance)
        qwords = content_words(question)
        # The question must share meaning with the evidence, not only topic words with one line.
        if evidence and qwords and not any(qwords & content_words(e.text) for e in evidence):
            return []
        return evidence

    def pack(self, question: str, evidence: list[Evidence], max_tokens: int) -> tuple[list[dict[str, str]], list[Evidence]]:
        """Prompt messages holding as many whole evidence sentences as the context allows."""
        budget = context_size(self.generator) - max_tokens - 16
        kept = list(evidence)
        while True:
            messages = prompts.render("answer", question=question, evidence=kept)
            used = sum(count_tokens(self.generator, m["content"]) + 8 for m in messages)
            if used <= budget:
                return messages, kept
            if len(kept) <= 1:
                raise ContextTooLong(
                    f"the question needs {used} tokens but the model's context leaves {budget}: "
                    "shorten the question or raise NEWSDESK_N_CTX"
                )
            kept.pop()  # the lowest-ranked sentence goes first; sentences are never cut

    # ---- the stream ---------------------------------------------------------------------
    def stream(
        self, question: str, filters: Filters | None = None, top_k: int | None = None, *,
        max_tokens: int | None = None, temperature: float | None = None, stop: list[str] | None = None,
    ) -> Iterator[ClaimEvent | AnswerResult]:
        """Yield each checked claim as soon as it is known, then the full AnswerResult."""
        t0 = time.perf_counter()
        evidence = self.retrieve(question, filters, top_k)
        timings = {"retrieval_ms": round((time.perf_counter() - t0) * 1000, 1)}
        if not evidence:
            yield self._abstain(timings)
            return
        limit = max_tokens or self.max_tokens
        messages, evidence = self.pack(question, evidence, limit)
        numbering = _Numbering(evidence)
        claims: list[ClaimOut] = []
        stats = {"dropped": 0, "reattached": 0, "unsupported": 0}
        t1 = time.perf_counter()
        text = ""
        done = 0
        pieces = self.generator.stream(messages, max_tokens=limit, temperature=self.temperature if temperature is None else temperature, stop=stop)
        try:
            for piece in pieces:
                if "first_token_ms" not in timings:
                    timings["first_token_ms"] = round((time.perf_counter() - t0) * 1000, 1)
                text += piece
                if not _FLUSH.search(piece):
                    continue
                parsed = parse_claims(text)
                for claim in parsed[done:-1]:  # all but the last claim are complete
                    yield from self._check(claim, evidence, numbering, claims, stats)
                done = max(done, len(parsed) - 1)
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
        timings["generation_ms"] = round((time.perf_counter() - t1) * 1000, 1)
        refused = bool(_REFUSAL.search(text))
        if not refused:
            for claim in parse_claims(text)[done:]:
                yield from self._check(claim, evidence, numbering, claims, stats)
        mode: Mode = "generative"
        if not any(c.supported for c in claims):
            if refused:
                yield self._abstain(timings, stats)
                return
            mode = "extractive"
            for checked in self._extractive(question, evidence):
                event = numbering.emit(checked)
                claims.append(event.claim)
                yield event
        supported = [c for c in claims if c.supported]
        answer = " ".join(_attach(c.text, "".join(f"[{i}]" for i in c.citations)) for c in supported)
        timings["total_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        yield AnswerResult(answer, False, mode, claims, numbering.citations, model_id(self.generator), timings, stats)

    def _check(self, claim: Claim, evidence: list[Evidence], numbering: _Numbering,
               claims: list[ClaimOut], stats: dict[str, int]) -> Iterator[ClaimEvent]:
        checked = self.checker.check(claim, evidence)
        stats["dropped"] += len(checked.dropped)
        stats["reattached"] += int(checked.reattached)
        if not checked.supported:
            stats["unsupported"] += 1
            claims.append(ClaimOut(checked.text, [], False, round(checked.support, 3)))
            log.info("unsupported claim held back: %r", checked.text)
            return
        event = numbering.emit(checked)
        claims.append(event.claim)
        yield event

    def _extractive(self, question: str, evidence: list[Evidence]) -> list[CheckedClaim]:
        """The best one or two evidence sentences, quoted and cited as they stand."""
        qwords = content_words(question)
        ranked = sorted(range(len(evidence)), key=lambda i: (len(qwords & content_words(evidence[i].text)), evidence[i].relevance), reverse=True)
        picks = [ranked[0]]
        if len(ranked) > 1 and evidence[ranked[1]].relevance >= max(self.min_relevance, evidence[ranked[0]].relevance - 0.1):
            picks.append(ranked[1])
        return [CheckedClaim(evidence[i].text, [i + 1], True, 1.0) for i in picks]

    def _abstain(self, timings: dict[str, float], stats: dict[str, int] | None = None) -> AnswerResult:
        return AnswerResult(ABSTAIN_MESSAGE, True, "abstained", [], [], model_id(self.generator), timings, stats or {})

    def answer(self, question: str, filters: Filters | None = None, top_k: int | None = None, **options: Any) -> AnswerResult:
        """The complete answer, built from the same stream."""
        for event in self.stream(question, filters, top_k, **options):
            if isinstance(event, AnswerResult):
                return event
        raise RuntimeError("answer stream ended without a result")  # pragma: no cover
