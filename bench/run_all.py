"""Every benchmark in turn (``make bench``): index, answers (set 1 and every held-out set), follow-ups,
summaries and briefings, load. Each one prints its own table and writes bench/results/*.json.

    .venv/bin/python -m bench.run_all [--quick]

``--quick`` runs the index bench at small sizes, the answer benches without the model, and no
load run: minutes instead of most of an hour on 2 cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

# question sets written apart from the system (bench/heldout*/), each with its own articles
HELD_OUT = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8", "heldout9",
            "heldout10")


def _question_set(folder: str) -> list[str]:
    return ["--articles", f"bench/{folder}/articles", "--questions", f"bench/{folder}/questions.jsonl",
            "--unanswerable", f"bench/{folder}/unanswerable.jsonl", "--out", f"bench/results/answers_{folder}.json"]


def runs(quick: bool) -> list[list[str]]:
    """The bench modules and their arguments, in order."""
    answers = ["--systems", "extractive,top-3"] if quick else []
    out = [
        ["bench.bench_index", *(["--sizes", "1000", "--copies", "1", "--rounds", "1"] if quick else [])],
        ["bench.bench_answers", *answers],
        *(["bench.bench_answers", *answers, *_question_set(folder)] for folder in HELD_OUT),
        ["bench.bench_followups"],
        ["bench.bench_summaries", *(["--skip-briefings", "--limit", "3"] if quick else [])],
    ]
    if not quick:
        out.append(["bench.bench_load"])
    return out


def main() -> None:
    """Run each bench in its own process; stop at the first failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for module, *rest in runs(args.quick):
        print(f"\n## {module} {' '.join(rest)}", flush=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", module, *rest], check=False)
        print(f"({module}: {time.perf_counter() - start:.0f} s)", flush=True)
        if done.returncode:
            sys.exit(done.returncode)


if __name__ == "__main__":
    main()
