"""Run a blocking generation in a worker thread and read its events from asyncio.

The event loop never waits on the model: health, models and article reads stay responsive while
a generation runs. Leaving the async iteration early (client disconnect, error) cancels the
request's Ticket, which stops the model at its next token and frees the queue place.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from fastapi import Request

from service.gate import Gate, Ticket, gated
from service.runtime import Newsdesk

log = logging.getLogger(__name__)

_END = object()


class _Failed:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc


class Worker:
    """Iterates ``make()`` on its own thread under ``ticket``; ``events()`` yields the items."""

    def __init__(self, gate: Gate, ticket: Ticket, make: Callable[[], Iterator[Any]]) -> None:
        self.gate = gate
        self.ticket = ticket
        self.make = make
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.thread = threading.Thread(target=self._work, name="newsdesk-generation", daemon=True)

    def start(self) -> Worker:
        """Start now, so the ticket is released even if nobody ever reads the events."""
        self.thread.start()
        return self

    def _put(self, item: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.ticket.cancel()

    def _work(self) -> None:
        try:
            with self.gate.bound(self.ticket):
                iterator = self.make()
                try:
                    for item in iterator:
                        self._put(item)
                        if self.ticket.cancelled:
                            break
                finally:
                    close = getattr(iterator, "close", None)
                    if close is not None:
                        close()
        except Exception as exc:  # handed to the request, which maps it to a response
            self._put(_Failed(exc))
        finally:
            self.ticket.close()
            self._put(_END)

    async def events(self) -> AsyncIterator[Any]:
        """The items, in order; the worker's exception is raised here."""
        try:
            while True:
                item = await self.queue.get()
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.exc
                yield item
        finally:
            self.ticket.cancel()  # no-op once the worker is done


async def cancel_on_disconnect(request: Request, ticket: Ticket) -> None:
    """Cancel ``ticket`` when the client goes away (for responses that are not streamed)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            log.info("client disconnected; cancelling its generation")
            ticket.cancel()
            return


def gate_of(desk: Newsdesk) -> Gate:
    """The gate every generation queues through (a desk built without runtime.build gets one now)."""
    if isinstance(desk.generator, Gate):
        return desk.generator
    desk.generator = gated(desk.generator, queue_size=desk.settings.queue_size,
                           timeout_s=desk.settings.generation_timeout_s)
    desk.answerer.generator = desk.generator
    return desk.generator


def start(desk: Newsdesk, make: Callable[[], Iterator[Any]]) -> Worker:
    """Admit one job to the gate (a full queue raises Overloaded: a 503 before any response starts) and run it."""
    gate = gate_of(desk)
    ticket = gate.admit()
    try:
        return Worker(gate, ticket, make).start()
    except BaseException:
        ticket.close()
        raise


async def last_event(request: Request, worker: Worker) -> Any:
    """Wait for a job that is not streamed; its last event is the result. A client that leaves cancels it."""
    watcher = asyncio.create_task(cancel_on_disconnect(request, worker.ticket))
    last = None
    try:
        async for item in worker.events():
            last = item
    finally:
        watcher.cancel()
    return last
