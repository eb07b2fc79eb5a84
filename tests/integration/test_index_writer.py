"""One writer per data dir, with real processes: a second server refuses to start, and
`newsdesk ingest` sends its articles to the server that owns the folder (or says what to do)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.unit.test_index_loaders import site  # noqa: F401 - the local web server fixture

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
NEWSDESK = str(ROOT / ".venv" / "bin" / "newsdesk")
EXAMPLES = ROOT / "examples" / "articles"

# Holds the data dir's lock as a server would. "serve": runs the real app with fakes (no model
# to load); "silent": takes the lock and names a port where nothing listens.
OWNER = """
import sys, time
from pathlib import Path
from service import datalock
mode, data_dir, port = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
role = "ingest" if mode == "ingest" else "server"
lock = datalock.acquire(data_dir, role=role, host="127.0.0.1", port=port if role == "server" else 0)
if mode == "serve":
    import uvicorn
    from service.http.app import create_app
    from service.settings import Settings
    from service.testing import FunctionGenerator, HashEmbedder
    settings = Settings(data_dir=data_dir, port=port)
    fakes = dict(generator=FunctionGenerator(lambda m: ""), embedder=HashEmbedder())
    app = create_app(settings, background_load=False, **fakes)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
else:
    print("locked", flush=True)
    time.sleep(600)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    return {
        **env,
        "NEWSDESK_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
    }


def _owner(mode: str, data_dir: Path, port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", OWNER, mode, str(data_dir), str(port)],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if mode == "serve":
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
            return proc
    raise RuntimeError("the owner process did not start")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    port = _free_port()
    proc = _owner("serve", tmp_path / "data", port)
    yield tmp_path / "data", port
    proc.kill()
    proc.wait()


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEWSDESK, *args], env=_env(data_dir), capture_output=True, text=True, timeout=120)


def test_ingest_goes_to_the_server_that_owns_the_dir(served: tuple[Path, int], tmp_path: Path) -> None:
    data_dir, port = served
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "no text"}\n{oops\n')
    result = _cli("ingest", str(EXAMPLES), str(bad), data_dir=data_dir)
    assert result.returncode == 1, result.stderr  # two bad lines: non-zero, but the rest went in
    assert f"sending the articles to http://127.0.0.1:{port}" in result.stderr
    summary = result.stdout
    assert "created" in summary and "│ 15 " in summary and "bad.jsonl:1" in summary and "bad.jsonl:2" in summary
    listed = httpx.get(f"http://127.0.0.1:{port}/v1/articles", params={"limit": 100}).json()
    assert listed["total"] == 15
    again = _cli("ingest", str(EXAMPLES), data_dir=data_dir)
    assert again.returncode == 0 and "unchanged" in again.stdout and "│ 15 " in again.stdout


def test_ingest_a_feed_url_through_the_server(served: tuple[Path, int], site: str) -> None:  # noqa: F811
    data_dir, port = served
    result = _cli("ingest", f"{site}/feed.rss", data_dir=data_dir)
    assert result.returncode == 1  # the feed's second entry is a 404
    assert "entry 2" in result.stdout and "HTTP 404" in result.stdout
    [article] = httpx.get(f"http://127.0.0.1:{port}/v1/articles").json()["articles"]
    assert (article["url"], article["title"], article["source"], article["published_at"]) == (
        f"{site}/harbour.html",
        "Harbour reopens after storm",
        "Test Times",
        "2026-11-03T08:15:00Z",
    )


def test_second_server_refuses_to_start(served: tuple[Path, int]) -> None:
    data_dir, port = served
    result = subprocess.run(
        [NEWSDESK, "serve"],
        env={**_env(data_dir), "NEWSDESK_PORT": str(_free_port())},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "is in use by a newsdesk server (pid" in message and f"serving http://127.0.0.1:{port}" in message
    assert "NEWSDESK_DATA_DIR" in message


def test_unreachable_owner_or_running_ingest_stop_with_advice(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    silent = _owner("silent", data_dir, _free_port())
    try:
        result = _cli("ingest", str(EXAMPLES), data_dir=data_dir)
    finally:
        silent.kill()
        silent.wait()
    message = " ".join(result.stderr.split())
    assert result.returncode == 1 and "does not answer" in message and "Restart that server" in message
    busy = _owner("ingest", data_dir, 0)
    try:
        result = _cli("ingest", str(EXAMPLES), data_dir=data_dir)
    finally:
        busy.kill()
        busy.wait()
    message = " ".join(result.stderr.split())
    assert result.returncode == 1 and "in use by a newsdesk ingest" in message and "Wait for it to finish" in message


def test_ask_goes_to_the_server_that_owns_the_dir(served: tuple[Path, int]) -> None:
    data_dir, port = served
    assert _cli("ingest", str(EXAMPLES), data_dir=data_dir).returncode == 0
    result = _cli("ask", "How many workers joined the strike on its first day?", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    import json

    answer = json.loads(result.stdout)
    assert not answer["abstained"] and answer["citations"]
    served_ids = {
        a["id"] for a in httpx.get(f"http://127.0.0.1:{port}/v1/articles", params={"limit": 100}).json()["articles"]
    }
    assert {c["article_id"] for c in answer["citations"]} <= served_ids
    bad = _cli("ask", "anything", "--since", "last tuesday", data_dir=data_dir)
    assert bad.returncode != 0 and "2026-11-03" in bad.stderr and "Traceback" not in bad.stderr
