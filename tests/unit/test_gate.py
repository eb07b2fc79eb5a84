"""The Gate: one generation at a time, bounded FIFO queue, cancel, timeout, usage."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from index.errors import NewsdeskError
from service.gate import Cancelled, Gate, GenerationTimeout, Overloaded, gated
from service.llm import Generator, context_size, model_id
from service.settings import Settings
from service.testing import FunctionGenerator, HashEmbedder, ScriptedGenerator
from tests.live_server import wait_until

MESSAGES = [{"role": "user", "content": "one two three four"}]


class Pieces:
    """A model that yields numbered pieces, advancing a fake clock; records how far it got."""

    def __init__(self, count: int = 1000, clock: list[float] | None = None) -> None:
        self.count = count
        self.clock = clock
        self.produced = 0
        self.closed = False
        self.model_id = "pieces"
        self.n_ctx = 2048

    def stream(self, messages: list[dict[str, str]], **options: Any) -> Iterator[str]:
        try:
            for i in range(self.count):
                if self.clock is not None:
                    self.clock[0] += 1.0
                self.produced += 1
                yield f"w{i} "
        finally:
            self.closed = True


def _blocking(release: threading.Event, started: threading.Event | None = None) -> FunctionGenerator:
    def fn(messages: list[dict[str, str]]) -> str:
        if started is not None:
            started.set()
        release.wait(10)
        return messages[-1]["content"]

    return FunctionGenerator(fn)


def _drain(gate: Gate, out: list[str], tag: str) -> None:
    try:
        out.append(tag + ":" + "".join(gate.stream([{"role": "user", "content": tag}])))
    except NewsdeskError as exc:
        out.append(f"{tag}:{exc.code}")


def test_gate_is_a_generator_and_delegates() -> None:
    inner = ScriptedGenerator(["hello world"], model_id="m1", n_ctx=1234)
    gate = gated(inner, queue_size=2, timeout_s=5)
    assert isinstance(gate, Generator)
    assert gated(gate, queue_size=9, timeout_s=1) is gate
    assert (model_id(gate), context_size(gate), gate.count_tokens("abcdefgh")) == ("m1", 1234, 2)
    assert "".join(gate.stream(MESSAGES, max_tokens=5, stop=["x"])) == "hello world"
    assert inner.history[0]["max_tokens"] == 5 and inner.history[0]["stop"] == ["x"]
    assert gate.stats.generations["ok"] == 1 and gate.depth == 0 and not gate.busy


def test_admit_refuses_at_once_when_full_and_frees_on_close() -> None:
    gate = Gate(ScriptedGenerator(), queue_size=1, timeout_s=5)
    first, second = gate.admit(), gate.admit()
    with pytest.raises(Overloaded) as caught:
        gate.admit()
    assert caught.value.retry_after > 0 and "NEWSDESK_QUEUE_SIZE" in str(caught.value)
    assert gate.stats.overloaded == 1
    first.close()
    first.close()  # idempotent
    third = gate.admit()
    for ticket in (second, third):
        ticket.close()
    assert gate.depth == 0


def test_queue_size_zero_allows_one_generation() -> None:
    gate = Gate(ScriptedGenerator(["a b"]), queue_size=0, timeout_s=5)
    ticket = gate.admit()
    with pytest.raises(Overloaded):
        gate.admit()
    with gate.bound(ticket):
        assert "".join(gate.stream(MESSAGES)) == "a b"
    ticket.close()


def test_one_generation_at_a_time_in_fifo_order() -> None:
    release = threading.Event()
    started = threading.Event()
    gate = Gate(_blocking(release, started), queue_size=5, timeout_s=10)
    out: list[str] = []
    threads = [threading.Thread(target=_drain, args=(gate, out, "first"))]
    threads[0].start()
    assert started.wait(5) and gate.busy
    for n, tag in enumerate(["b", "c", "d"], start=1):
        thread = threading.Thread(target=_drain, args=(gate, out, tag))
        thread.start()
        threads.append(thread)
        assert wait_until(lambda n=n: gate.waiting == n)
    assert gate.depth == 3 and out == []
    release.set()
    for thread in threads:
        thread.join(10)
    assert out == ["first:first", "b:b", "c:c", "d:d"]
    assert gate.stats.generations["ok"] == 4 and gate.depth == 0


def test_cancel_stops_generation_and_closes_the_model_stream() -> None:
    inner = Pieces()
    gate = Gate(inner, queue_size=1, timeout_s=60)
    ticket = gate.admit()
    got = []
    with gate.bound(ticket), pytest.raises(Cancelled):
        for piece in gate.stream(MESSAGES):
            got.append(piece)
            if len(got) == 3:
                ticket.cancel()
    ticket.close()
    assert len(got) == 3 and inner.produced == 4 and inner.closed
    assert gate.stats.generations["cancelled"] == 1 and not gate.busy


def test_consumer_closing_the_stream_stops_the_model() -> None:
    inner = Pieces()
    gate = Gate(inner, queue_size=1, timeout_s=60)
    stream = gate.stream(MESSAGES)
    assert next(stream) == "w0 "
    stream.close()
    assert inner.closed and inner.produced == 1 and not gate.busy and gate.depth == 0
    assert gate.stats.generations["stopped"] == 1 and gate.stats.generations["cancelled"] == 0


def test_cancel_while_waiting_leaves_the_queue() -> None:
    release = threading.Event()
    started = threading.Event()
    gate = Gate(_blocking(release, started), queue_size=2, timeout_s=10)
    holder = threading.Thread(target=_drain, args=(gate, [], "holder"))
    holder.start()
    assert started.wait(5)
    ticket = gate.admit()
    errors: list[BaseException] = []

    def wait_then_fail() -> None:
        with gate.bound(ticket):
            try:
                list(gate.stream(MESSAGES))
            except Cancelled as exc:
                errors.append(exc)

    waiter = threading.Thread(target=wait_then_fail)
    waiter.start()
    assert wait_until(lambda: gate.waiting == 1)
    ticket.cancel()
    waiter.join(5)
    assert len(errors) == 1 and gate.waiting == 0
    ticket.close()
    release.set()
    holder.join(5)


def test_generation_past_the_deadline_raises_a_clear_error() -> None:
    clock = [0.0]
    inner = Pieces(clock=clock)
    gate = Gate(inner, queue_size=1, timeout_s=5, clock=lambda: clock[0])
    with pytest.raises(GenerationTimeout) as caught:
        list(gate.stream(MESSAGES))
    assert "NEWSDESK_GENERATION_TIMEOUT_S" in str(caught.value)
    assert inner.closed and inner.produced < 10
    assert gate.stats.generations["timeout"] == 1 and not gate.busy


def test_waiting_past_the_deadline_is_overloaded() -> None:
    release = threading.Event()
    started = threading.Event()
    gate = Gate(_blocking(release, started), queue_size=2, timeout_s=0.2)
    out: list[str] = []
    holder = threading.Thread(target=_drain, args=(gate, out, "holder"))
    holder.start()
    assert started.wait(5)
    with pytest.raises(Overloaded):
        list(gate.stream(MESSAGES))
    release.set()
    holder.join(5)
    assert gate.depth == 0 and out == ["holder:generation_timeout"]


def test_usage_is_counted_per_ticket() -> None:
    gate = Gate(ScriptedGenerator(["abcdefgh", "abcd"]), queue_size=1, timeout_s=5)
    ticket = gate.admit()
    with gate.bound(ticket):
        list(gate.stream([{"role": "user", "content": "x" * 40}]))
        list(gate.stream([{"role": "user", "content": "x" * 8}]))
    ticket.close()
    assert ticket.usage.as_openai() == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    assert (gate.stats.prompt_tokens, gate.stats.completion_tokens) == (12, 3)


def test_every_job_shares_the_gate(tmp_path: Any, fake_store: Any) -> None:
    from service.runtime import build

    desk = build(Settings(data_dir=tmp_path, queue_size=3, generation_timeout_s=7), generator=ScriptedGenerator(),
                 embedder=HashEmbedder(), store=fake_store)
    assert isinstance(desk.generator, Gate) and desk.answerer.generator is desk.generator
    assert (desk.generator.queue_size, desk.generator.timeout_s) == (3, 7)
