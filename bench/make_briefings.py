"""Regenerate examples/briefings/ (one Markdown, one HTML, one JSON briefing) from examples/articles.

    .venv/bin/python -m bench.make_briefings [--topic "Velmora port strike"]

Uses the real default embedder and model in a temporary data dir, so the committed examples
show exactly what `newsdesk brief` produces on the bundled corpus (`make briefings`).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "briefings"


def main() -> None:
    from bench.bench_summaries import build_desk
    from service.briefing import briefer_for
    from service.briefing_render import FORMATS, render

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--topic", default="Velmora port strike")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", args.topic.lower()).strip("-")
    with tempfile.TemporaryDirectory() as tmp:
        desk, _ = build_desk(tmp)
        t0 = time.perf_counter()
        data = briefer_for(desk).brief(args.topic).to_dict()
        seconds = time.perf_counter() - t0
    for fmt in FORMATS:
        path = out / f"{slug}.{fmt}"
        path.write_text(render(data, fmt), encoding="utf-8")
        sys.stdout.write(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}\n")
    sys.stdout.write(f"{len(data['stories'])} stories, {len(data['citations'])} citations, {seconds:.1f} s\n")


if __name__ == "__main__":
    main()
