"""Grounded answers: retrieve -> judge -> pack evidence -> generate -> check every claim -> cite.

Retrieval finds candidate sentences; ``service.answerability.Judge`` ranks them by how directly
they state the asked-for fact and decides whether any does (else the answer abstains). The
model sees the best sentences, numbered, answer sentences first. Its claims may only cite
sentences that answer the question, and each citation is checked (``service.citations``).

One streaming implementation (``Answerer.stream``) yields each claim once it is complete and
checked; ``Answerer.answer`` consumes the same stream. When the model's text holds no supported
claim the answer quotes the answer sentences (``mode: extractive``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Generator as Gen
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from index.errors import NewsdeskError
from index.search import Evidence, Searcher
from index.store import Filters
from service import prompts
from service.answerability import Judge, looks_like_injection, states
from service.citations import CheckedClaim, CitationChecker, Claim, parse_claims
from service.llm import Generator, context_size, count_tokens, model_id
from service.questions import analyse
from service.text import content_stems

log = logging.getLogger(__name__)

ABSTAIN_MESSAGE = "The indexed articles do not answer this question."
EMPTY_INDEX_MESSAGE = ("No articles are indexed yet, so there is nothing to answer from: add some with "
                       "`newsdesk ingest PATH` or POST /v1/articles.")
NO_MATCH_MESSAGE = "No indexed article matches the filters, so there is nothing to answer from."
_REFUSAL = re.compile(r"NOT\s+IN\s+(THE\s+)?SOURCES?", re.IGNORECASE)
_FLUSH = re.compile(r"[.!?\]\n]")
_TEMPLATE_TOKENS = 8  # per chat message: role markers of a typical chat template
_SAFETY_TOKENS = 16

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

    @classmethod
    def from_evidence(cls, cid: int, e: Evidence) -> Citation:
        """The evidence sentence as citation number ``cid``."""
        return cls(cid, e.article_id, e.sentence_index, e.text, e.start, e.end, e.title, e.url, e.source,
                   e.published_at)


@dataclass
class ClaimOut:
    """A claim in the response: its text, the citation ids it carries, its support."""

    text: str
    citations: list[int]
    supported: bool
    support: float

    def marked(self) -> str:
        """The claim's text with its ``[n]`` markers before the final punctuation."""
        return _attach(self.text, "".join(f"[{i}]" for i in self.citations)) if self.citations else self.text


def join_claims(claims: Iterable[ClaimOut]) -> str:
    """Running text of claims, each carrying its markers."""
    return " ".join(c.marked() for c in claims)


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

    @property
    def finish_reason(self) -> Literal["stop", "length"]:
        """'length' when the model was cut off by its token limit (the answer may be incomplete), else 'stop'."""
        return "length" if self.stats.get("token_limit_hit") else "stop"


@dataclass
class Plan:
    """Evidence chosen for one question: ``answers`` are its first positions (1-based)."""

    evidence: list[Evidence]
    answers: int  # how many leading sentences were selected as the answer
    allowed: set[int]  # positions a claim may cite: sentences that could hold the asked-for fact


class _Numbering:
    """Maps evidence positions to citation ids in order of first use."""

    def __init__(self, evidence: Sequence[Evidence]) -> None:
        self.evidence = evidence
        self.ids: dict[int, int] = {}
        self.citations: list[Citation] = []

    def cite(self, position: int) -> int:
        if position not in self.ids:
            cid = len(self.citations) + 1
            self.ids[position] = cid
            self.citations.append(Citation.from_evidence(cid, self.evidence[position - 1]))
        return self.ids[position]

    def emit(self, checked: CheckedClaim) -> ClaimEvent:
        claim = ClaimOut(checked.text, [self.cite(p) for p in checked.citations], checked.supported,
                         round(checked.support, 3))
        return ClaimEvent(claim.marked(), claim)


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
        candidates: int = 30, max_claims: int = 3,
    ) -> None:
        self.searcher = searcher
        self.generator = generator
        self.checker = checker
        self.top_k = top_k
        self.min_relevance = min_relevance
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.candidates = candidates
        self.max_claims = max_claims  # the prompt asks for one or two sentences: stop a rambling model
        self._judge: Judge | None = None
        self._judge_version = -1
        self._lock = threading.Lock()
        self._warming = threading.Lock()

    # ---- evidence -----------------------------------------------------------------------
    def judge(self) -> Judge:
        """The answerability judge, with IDF statistics of the current index."""
        store = self.searcher.store
        with self._lock:
            if self._judge is None or self._judge_version != store.version:
                texts = (text for _, _, text in store.iter_current_sentences())
                known = self._judge.vectors if self._judge is not None else None
                self._judge = Judge.from_texts(texts, embedder=self.searcher.embedder, vectors=known)
                self._judge_version = store.version
            return self._judge

    def warm(self) -> int:
        """Build the judge for the current index and embed its words, so that questions do not wait for
        them; returns how many words were new. The service runs this once loaded and after each ingest; a
        one-off ``newsdesk ask`` does not (it needs only its candidates' words).
        """
        if not self._warming.acquire(blocking=False):
            return 0  # one warm-up at a time: words a later ingest adds are embedded by its questions
        try:
            started = time.perf_counter()
            learned = self.judge().learn()
        finally:
            self._warming.release()
        if learned:
            log.info("answer judge: embedded %d new words of the index in %.1f s", learned,
                     time.perf_counter() - started)
        return learned

    def plan(self, question: str, filters: Filters | None = None, top_k: int | None = None) -> Plan | None:
        """Evidence for ``question``, answer sentences first; None when none answers it."""
        k = top_k or self.top_k
        found = self.searcher.search(question, filters, max(k, self.candidates), min_relevance=self.min_relevance)
        safe = [e for e in found if not looks_like_injection(e.text)]
        if len(safe) < len(found):
            log.warning("left out %d evidence sentence(s) that address AI systems", len(found) - len(safe))
        if not safe:
            return None
        judge = self.judge()
        articles = self.searcher.store.texts([e.article_id for e in safe])
        judged = judge.judge(question, safe, articles)
        picks = judge.select(question, judged)
        if not picks:
            return None
        rest = [j for j in judged if j not in picks][: max(0, k - len(picks))]
        ordered = picks + rest
        # a claim may cite only the answer sentences the judge picked: a small model's claim about some other
        # figure in a nearby sentence ("a 40 million crown fund" for the most a household can claim) must not
        # pass as the answer, even when that sentence would answer a looser reading of the question
        allowed = set(range(1, len(picks) + 1))
        return Plan([j.evidence for j in ordered], len(picks), allowed)

    def retrieve(self, question: str, filters: Filters | None = None, top_k: int | None = None) -> list[Evidence]:
        """Evidence for ``question`` (answer sentences first); empty when nothing answers it."""
        plan = self.plan(question, filters, top_k)
        return plan.evidence if plan else []

    def pack(
        self, question: str, evidence: list[Evidence], max_tokens: int,
    ) -> tuple[list[dict[str, str]], list[Evidence]]:
        """Prompt messages holding as many whole evidence sentences as the context allows.

        Tokens are counted with the generator's own tokenizer; the lowest-ranked sentence goes
        first, and a sentence is never cut.
        """
        budget = context_size(self.generator) - max_tokens - _SAFETY_TOKENS

        def size(kept: list[Evidence]) -> tuple[int, list[dict[str, str]]]:
            messages = prompts.render("answer", question=question, evidence=kept)
            return sum(count_tokens(self.generator, m["content"]) + _TEMPLATE_TOKENS for m in messages), messages

        lo, hi = 1, len(evidence)  # largest prefix that fits, by bisection
        used = size(evidence[:1])[0]
        if used > budget:
            raise ContextTooLong(
                f"the question needs {used} tokens but the model's context leaves {budget}: "
                "shorten the question, lower max_tokens or raise NEWSDESK_N_CTX"
            )
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if size(evidence[:mid])[0] <= budget:
                lo = mid
            else:
                hi = mid - 1
        return size(evidence[:lo])[1], evidence[:lo]

    def _vectors(self, evidence: Sequence[Evidence]) -> np.ndarray | None:
        """Stored embeddings of the evidence sentences (None if any is missing)."""
        try:
            hits = self.searcher.store.fetch_sentences([e.key for e in evidence], with_vectors=True)
        except Exception:  # a store without vectors: the checker embeds the sentences itself
            log.debug("stored vectors unavailable", exc_info=True)
            return None
        by_key = {(h.article_id, h.index): h.embedding for h in hits}
        rows = [by_key.get(e.key) for e in evidence]
        if any(r is None for r in rows):
            return None
        return np.stack([r for r in rows if r is not None])

    # ---- the stream ---------------------------------------------------------------------
    def stream(
        self, question: str, filters: Filters | None = None, top_k: int | None = None, *,
        max_tokens: int | None = None, temperature: float | None = None, stop: list[str] | None = None,
    ) -> Iterator[ClaimEvent | AnswerResult]:
        """Yield each checked claim as soon as it is known, then the full AnswerResult."""
        t0 = time.perf_counter()
        plan = self.plan(question, filters, top_k)
        timings = {"retrieval_ms": _ms(t0)}
        if plan is None:
            yield self._abstain(timings, message=self._nothing_to_search(filters))
            return
        limit = max_tokens or self.max_tokens
        messages, evidence = self.pack(question, plan.evidence, limit)
        run = _Run(self.checker, evidence, self._vectors(evidence), {p for p in plan.allowed if p <= len(evidence)},
                   question)
        t1 = time.perf_counter()
        text = yield from self._generate(messages, run, timings, t0, limit, temperature, stop)
        timings["generation_ms"] = _ms(t1)
        run.stats["completion_tokens"] = count_tokens(self.generator, text) if text else 0
        run.stats["token_limit_hit"] = int(run.stats["completion_tokens"] >= limit and run.done < self.max_claims)
        refused = bool(_REFUSAL.search(text))
        if not refused:
            yield from run.check_all(parse_claims(text)[run.done :])
        mode: Mode = "generative"
        if not any(c.supported for c in run.claims):
            if refused:
                log.info("the model found no answer in the sources")
                yield self._abstain(timings, run.stats)
                return
            mode = "extractive"
            for position in range(1, min(plan.answers, len(evidence)) + 1):
                yield run.emit(CheckedClaim(evidence[position - 1].text, [position], True, 1.0))
        supported = [c for c in run.claims if c.supported]
        answer = join_claims(supported)
        timings["check_ms"] = round(run.check_s * 1000, 1)
        timings["total_ms"] = _ms(t0)
        yield AnswerResult(answer, False, mode, run.claims, run.numbering.citations, model_id(self.generator),
                           timings, run.stats)

    def _generate(
        self, messages: list[dict[str, str]], run: _Run, timings: dict[str, float], t0: float, limit: int,
        temperature: float | None, stop: list[str] | None,
    ) -> Gen[ClaimEvent, None, str]:
        """Stream the model's reply, yielding claims as they complete; returns the full text."""
        text = ""
        temp = self.temperature if temperature is None else temperature
        pieces = self.generator.stream(messages, max_tokens=limit, temperature=temp, stop=stop)
        try:
            for piece in pieces:
                if "first_token_ms" not in timings:
                    timings["first_token_ms"] = _ms(t0)
                run.stats["generated_pieces"] += 1  # one token per piece from llama.cpp
                text += piece
                if _FLUSH.search(piece) and not _REFUSAL.search(text):
                    parsed = parse_claims(text)
                    yield from run.check_all(parsed[run.done : -1])  # the last claim may be unfinished
                    if run.done >= self.max_claims:
                        text = "".join(c.text + " " for c in parsed[: run.done])  # drop the unfinished rest
                        break
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
        return text

    def _abstain(self, timings: dict[str, float], stats: dict[str, int] | None = None, *,
                 message: str | None = None) -> AnswerResult:
        return AnswerResult(message or ABSTAIN_MESSAGE, True, "abstained", [], [], model_id(self.generator), timings,
                            stats or {})

    def _nothing_to_search(self, filters: Filters | None) -> str | None:
        """A more useful abstention when there is nothing to search: no articles at all, or none that pass
        the filters (None when articles were searched and simply do not answer)."""
        try:
            if not self.searcher.store.list_articles(None):
                return EMPTY_INDEX_MESSAGE
            if filters is not None and not self.searcher.store.list_articles(filters):
                return NO_MATCH_MESSAGE
        except Exception:  # a store that cannot list its articles: the plain abstention
            log.debug("could not list articles", exc_info=True)
        return None

    def answer(
        self, question: str, filters: Filters | None = None, top_k: int | None = None, **options: Any,
    ) -> AnswerResult:
        """The complete answer, built from the same stream."""
        for event in self.stream(question, filters, top_k, **options):
            if isinstance(event, AnswerResult):
                return event
        raise RuntimeError("answer stream ended without a result")  # pragma: no cover


class _Run:
    """The checking state of one answer: claims so far, citation numbering, counters."""

    def __init__(self, checker: CitationChecker, evidence: list[Evidence], vectors: np.ndarray | None,
                 allowed: set[int], question: str = "") -> None:
        self.question = question
        self.asked = analyse(question) if question else None
        self.checker = checker
        self.evidence = evidence
        self.vectors = vectors
        self.allowed = allowed
        self.numbering = _Numbering(evidence)
        self.claims: list[ClaimOut] = []
        self.stats = {"claims": 0, "dropped": 0, "reattached": 0, "unsupported": 0, "restated": 0,
                      "generated_pieces": 0}
        self.done = 0
        self.check_s = 0.0

    def check_all(self, claims: Sequence[Claim]) -> Iterator[ClaimEvent]:
        for claim in claims:
            self.done += 1
            t = time.perf_counter()
            checked = self.checker.check(claim, self.evidence, vectors=self.vectors, allowed=self.allowed,
                                         asked=self.question)
            self.check_s += time.perf_counter() - t
            self.stats["claims"] += 1
            self.stats["dropped"] += len(checked.dropped)
            self.stats["reattached"] += int(checked.reattached)
            if checked.supported and not self.answers(claim.text):
                self.stats["restated"] += 1  # supported, but it only restates the question
                checked = CheckedClaim(checked.text, [], False, checked.support, dropped=checked.dropped)
            if not checked.supported:
                self.stats["unsupported"] += 1
                self.claims.append(ClaimOut(checked.text, [], False, round(checked.support, 3)))
                log.info("unsupported claim held back: %r", checked.text)
                continue
            yield self.emit(checked)

    def answers(self, claim: str) -> bool:
        """A claim must add something to the question, of the asked-for kind ("how many" -> a number)."""
        if self.asked is None:
            return True
        parts = self.asked.parts or (self.asked,)
        return bool(content_stems(claim) - content_stems(self.question)) and any(
            states(p, self.question, claim) for p in parts)

    def emit(self, checked: CheckedClaim) -> ClaimEvent:
        event = self.numbering.emit(checked)
        self.claims.append(event.claim)
        return event


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
