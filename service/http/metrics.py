"""/metrics in Prometheus format.

Request counts and latencies by route come from prometheus-fastapi-instrumentator; queue depth,
generation outcomes and tokens/s are read from the Gate at scrape time; answer outcomes (citations
dropped / re-attached / unsupported, abstentions, modes) are counted by ``record_answer``. Each app
has its own registry, so several apps (tests) never clash.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator

from service.gate import Gate


class GateCollector(Collector):
    """Reads the app's Gate (if loaded) on every scrape."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def _gate(self) -> Gate | None:
        desk = getattr(self.app.state, "desk", None)
        generator = getattr(desk, "generator", None)
        return generator if isinstance(generator, Gate) else None

    def collect(self) -> Iterator[Metric]:
        """Queue and generation figures."""
        gate = self._gate()
        if gate is None:
            return
        stats = gate.stats
        yield GaugeMetricFamily("newsdesk_queue_depth", "Admitted generation requests not holding the model",
                                value=gate.depth)
        yield GaugeMetricFamily("newsdesk_generation_running", "1 while a generation holds the model",
                                value=1 if gate.busy else 0)
        yield GaugeMetricFamily("newsdesk_queue_capacity", "Queue places (NEWSDESK_QUEUE_SIZE)", value=gate.queue_size)
        outcomes = CounterMetricFamily("newsdesk_generations", "Finished generations by outcome", labels=["outcome"])
        for outcome, count in sorted(stats.generations.items()):
            outcomes.add_metric([outcome], count)
        yield outcomes
        yield CounterMetricFamily("newsdesk_overloaded", "Requests refused because the queue was full",
                                  value=stats.overloaded)
        tokens = CounterMetricFamily("newsdesk_tokens", "Tokens processed by the model", labels=["kind"])
        tokens.add_metric(["prompt"], stats.prompt_tokens)
        tokens.add_metric(["completion"], stats.completion_tokens)
        yield tokens
        yield CounterMetricFamily("newsdesk_decode_seconds", "Seconds spent producing completion tokens",
                                  value=stats.decode_seconds)
        yield GaugeMetricFamily("newsdesk_tokens_per_second", "Decode speed of the last generation",
                                value=stats.last_tokens_per_second)


class AnswerMetrics:
    """Counters of what the citation check did and how answers ended."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.citations = Counter("newsdesk_citations", "Citation check outcomes", ["outcome"], registry=registry)
        self.answers = Counter("newsdesk_answers", "Answers by mode", ["mode", "route"], registry=registry)
        self.abstentions = Counter("newsdesk_abstentions", "Answers that abstained", ["route"], registry=registry)

    def record(self, result: Any, route: str) -> None:
        """Count one AnswerResult (or anything with ``stats``, ``mode`` and ``abstained``)."""
        stats = getattr(result, "stats", None) or {}
        for outcome in ("dropped", "reattached", "unsupported"):
            if stats.get(outcome):
                self.citations.labels(outcome).inc(stats[outcome])
        self.answers.labels(str(getattr(result, "mode", "unknown")), route).inc()
        if getattr(result, "abstained", False):
            self.abstentions.labels(route).inc()


def install(app: FastAPI) -> None:
    """Instrument ``app`` and expose GET /metrics."""
    registry = CollectorRegistry()
    registry.register(GateCollector(app))
    app.state.answer_metrics = AnswerMetrics(registry)
    instrumentator = Instrumentator(
        registry=registry, should_group_status_codes=False, excluded_handlers=["/metrics"],
    )
    # Generations take seconds: the per-route buckets must reach past the default 1 s.
    instrumentator.instrument(app, latency_lowr_buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
    instrumentator.expose(app, include_in_schema=False, tags=["health"])


def record_answer(app: FastAPI, result: Any, route: str) -> None:
    """Count an answer's citation outcomes (no-op if metrics are not installed)."""
    metrics: AnswerMetrics | None = getattr(app.state, "answer_metrics", None)
    if metrics is not None:
        metrics.record(result, route)
