"""One model, one generation at a time: a bounded FIFO queue in front of the Generator.

``Gate`` implements the same ``Generator`` Protocol as the model it wraps, so every job (answers,
summaries, chat) queues through it without knowing. A request may reserve its place up front with
``admit()`` (a ``Ticket``), so a full queue is refused at once (``Overloaded``) before any response
starts; a bare ``stream()`` call admits itself. The ticket also carries cancellation (a client
went away), token usage, and the generation deadline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from index.errors import NewsdeskError
from service.llm import Generator, Messages, ModelUnavailable, context_size, count_tokens, model_id

log = logging.getLogger(__name__)


class Overloaded(ModelUnavailable):
    """Every place in the generation queue is taken; retry after ``retry_after`` seconds."""

    code = "overloaded"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GenerationTimeout(ModelUnavailable):
    """A generation ran past NEWSDESK_GENERATION_TIMEOUT_S."""

    code = "generation_timeout"


class Cancelled(NewsdeskError):
    """The caller gave up (client disconnected); the generation was stopped."""

    code = "cancelled"


@dataclass
class Usage:
    """Tokens one request spent, summed over all its generations."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def as_openai(self) -> dict[str, int]:
        """OpenAI's ``usage`` object."""
        total = self.prompt_tokens + self.completion_tokens
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens, "total_tokens": total}


@dataclass
class GateStats:
    """Counters read by /metrics (plain numbers: the core knows nothing of Prometheus)."""

    generations: dict[str, int] = field(
        default_factory=lambda: {"ok": 0, "stopped": 0, "cancelled": 0, "timeout": 0, "error": 0})
    overloaded: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    decode_seconds: float = 0.0
    last_tokens_per_second: float = 0.0


class Ticket:
    """A request's reserved place: cancel flag, usage and state. Close it when the request ends."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.usage = Usage()
        self._cancelled = threading.Event()
        self.closed = False

    @property
    def cancelled(self) -> bool:
        """True once ``cancel()`` was called."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop this request's generation at the next token (or stop waiting for the model)."""
        if not self.closed:
            self._cancelled.set()
            self.gate._wake()

    def close(self) -> None:
        """Give the reserved place back (idempotent)."""
        self.gate._close(self)


class Gate:
    """A Generator that lets one generation run at a time and at most ``queue_size`` wait."""

    def __init__(
        self, inner: Generator, *, queue_size: int = 8, timeout_s: float = 120.0, retry_after: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.queue_size = queue_size
        self.timeout_s = timeout_s
        self.retry_after = retry_after
        self.clock = clock
        self.stats = GateStats()
        self._cond = threading.Condition()
        self._admitted = 0
        self._waiting: deque[Ticket] = deque()
        self._running: Ticket | None = None
        self._local = threading.local()

    # ---- what the wrapped model offers --------------------------------------------------
    @property
    def n_ctx(self) -> int:
        """Context window of the wrapped model."""
        return context_size(self.inner)

    @property
    def model_id(self) -> str:
        """Model name of the wrapped model."""
        return model_id(self.inner)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the wrapped model's tokenizer."""
        return count_tokens(self.inner, text)

    def __getattr__(self, name: str) -> Any:
        # Anything else (e.g. a backend's own handle) is the wrapped model's.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # ---- queue state ----------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Admitted requests not generating right now (waiting for the model or preparing)."""
        with self._cond:
            return self._admitted - (1 if self._running is not None else 0)

    @property
    def waiting(self) -> int:
        """Requests blocked waiting for the model right now."""
        with self._cond:
            return len(self._waiting)

    @property
    def busy(self) -> bool:
        """True while a generation holds the model."""
        return self._running is not None

    def admit(self) -> Ticket:
        """Reserve a place, or raise ``Overloaded`` at once when all are taken."""
        with self._cond:
            if self._admitted >= 1 + self.queue_size:
                self.stats.overloaded += 1
                raise Overloaded(
                    f"the model is busy and all {self.queue_size} queue places are taken; "
                    f"retry in {self.retry_after} s (NEWSDESK_QUEUE_SIZE sets the queue length)",
                    self.retry_after,
                )
            self._admitted += 1
            return Ticket(self)

    @contextmanager
    def bound(self, ticket: Ticket) -> Iterator[Ticket]:
        """Within this block, generations on this thread use ``ticket`` instead of admitting themselves."""
        previous = getattr(self._local, "ticket", None)
        self._local.ticket = ticket
        try:
            yield ticket
        finally:
            self._local.ticket = previous

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _close(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket.closed:
                return
            ticket.closed = True
            self._admitted -= 1
            if self._running is ticket:
                self._running = None
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._cond.notify_all()

    def _acquire(self, ticket: Ticket) -> None:
        """Wait in FIFO order until the model is free for ``ticket``."""
        deadline = self.clock() + self.timeout_s
        with self._cond:
            self._waiting.append(ticket)
            try:
                while self._running is not None or self._waiting[0] is not ticket:
                    if ticket.cancelled:
                        raise Cancelled("request cancelled while waiting for the model")
                    left = deadline - self.clock()
                    if left <= 0:
                        self.stats.overloaded += 1
                        raise Overloaded(f"waited {self.timeout_s:g} s for the model without getting it; "
                                         "retry later", self.retry_after)
                    self._cond.wait(timeout=min(left, 0.5))
                self._running = ticket
            finally:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()

    def _release(self, ticket: Ticket) -> None:
        with self._cond:
            if self._running is ticket:
                self._running = None
            self._cond.notify_all()

    # ---- the Generator Protocol -----------------------------------------------------------
    def stream(self, messages: Messages, **options: Any) -> Iterator[str]:
        """Queue for the model, then stream its reply; stop on cancel or past the deadline."""
        ticket: Ticket | None = getattr(self._local, "ticket", None)
        own = ticket is None
        if ticket is None:
            ticket = self.admit()
        try:
            self._acquire(ticket)
            try:
                yield from self._generate(ticket, messages, options)
            finally:
                self._release(ticket)
        finally:
            if own:
                ticket.close()

    def _generate(self, ticket: Ticket, messages: Messages, options: dict[str, Any]) -> Iterator[str]:
        start = self.clock()
        deadline = start + self.timeout_s
        first: float | None = None
        text: list[str] = []
        outcome = "error"
        pieces = self.inner.stream(messages, **options)
        try:
            for piece in pieces:
                if ticket.cancelled:
                    outcome = "cancelled"
                    raise Cancelled("request cancelled; generation stopped")
                if self.clock() > deadline:
                    outcome = "timeout"
                    raise GenerationTimeout(
                        f"generation ran past {self.timeout_s:g} s and was stopped; ask a narrower question "
                        "or raise NEWSDESK_GENERATION_TIMEOUT_S"
                    )
                if first is None:
                    first = self.clock()
                text.append(piece)
                yield piece
            outcome = "ok"
        except GeneratorExit:
            outcome = "cancelled" if ticket.cancelled else "stopped"  # the consumer had enough
            raise
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops llama.cpp mid-generation
            self._account(ticket, messages, "".join(text), outcome, first)

    def _account(self, ticket: Ticket, messages: Messages, text: str, outcome: str, first: float | None) -> None:
        prompt = sum(self.count_tokens(m.get("content") or "") for m in messages)
        completion = self.count_tokens(text) if text else 0
        ticket.usage.prompt_tokens += prompt
        ticket.usage.completion_tokens += completion
        with self._cond:
            stats = self.stats
            stats.generations[outcome] = stats.generations.get(outcome, 0) + 1
            stats.prompt_tokens += prompt
            stats.completion_tokens += completion
            if first is not None and completion > 1:
                seconds = max(self.clock() - first, 1e-6)
                stats.decode_seconds += seconds
                stats.last_tokens_per_second = round(completion / seconds, 2)
        log.info("generation %s: %d prompt + %d completion tokens", outcome, prompt, completion)


def gated(generator: Generator, *, queue_size: int, timeout_s: float) -> Gate:
    """``generator`` behind a Gate (an existing Gate is returned as it is)."""
    if isinstance(generator, Gate):
        return generator
    return Gate(generator, queue_size=queue_size, timeout_s=timeout_s)
