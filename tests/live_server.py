"""A real uvicorn server on 127.0.0.1 in a background thread, for tests with real HTTP clients."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

# "[1] <optional "title"> <optional (source, date)><optional :> sentence" -- the answer prompt's evidence line.
_FIRST_SOURCE = re.compile(r'^\[1\]\s*(?:"[^"\n]*"\s*)?(?:\([^)\n]*\)\s*:?\s*)?(.+)$', re.MULTILINE)


def echo_first_source(messages: list[dict[str, str]]) -> str:
    """Fake model: repeat evidence sentence [1] and cite it (a supported claim), else refuse."""
    found = _FIRST_SOURCE.search(messages[-1]["content"])
    return f"{found.group(1).rstrip('.')} [1]." if found else "NOT IN SOURCES"


@contextmanager
def live_server(app: Any, *, ready_path: str = "/readyz", timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields the base URL once ``ready_path`` answers 200."""
    import httpx

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if server.started and httpx.get(base + ready_path, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"server on {base} did not become ready")
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until true or ``timeout``; returns its last value (tests assert on it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = bool(predicate())
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
