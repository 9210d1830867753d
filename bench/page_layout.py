#!/usr/bin/env python3
"""Web-text parsing with the generic page layout: time per page and how it grows with size.

Two inputs, side by side:

* the real pages of ``web-unseen-dev`` (the shared corpus), each parsed and cleaned as the
  parse-clean agent does (``parse_dispatch`` then ``clean``): median and p95 milliseconds
  per page, and the slowest page;
* synthetic pages of N units (invented words, a mix of sentences and title-like lines),
  parsed alone: milliseconds per page for each N, and the ratio to the smallest N per unit
  of size, which stays near 1 while the layout is linear in the page's length.

The jusText stop lists load once per process (about a second); that warm-up is printed
apart and not counted.

    .venv/bin/python bench/page_layout.py [--repeat 5] [--sizes 100 1000 5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.evaluation.quality import default_corpus_root  # noqa: E402
from pipeline.parsers._page import _stoplists  # noqa: E402
from pipeline.parsers.webtext import WebTextParser  # noqa: E402
from pipeline.sources import iter_dispatches  # noqa: E402
from pipeline.stages.clean import clean  # noqa: E402
from pipeline.stages.flow import parse_dispatch  # noqa: E402

WORDS = [
    "the",
    "council",
    "approved",
    "harbour",
    "budget",
    "on",
    "tuesday",
    "after",
    "a",
    "debate",
    "that",
    "lasted",
    "most",
    "of",
    "the",
    "day",
    "money",
    "for",
    "ferry",
    "terminal",
    "will",
    "come",
    "from",
    "regional",
    "fund",
    "mayor",
    "told",
    "reporters",
    "boats",
    "islands",
    "summer",
]


def synthetic(units: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = []
    for _ in range(units):
        n = rng.randint(3, 40)
        line = " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()
        lines.append(line + ("." if n > 8 else ""))
    return "\n\n".join(lines).encode()


def timed(run, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    args = parser.parse_args()

    started = time.perf_counter()
    _stoplists()
    print(f"warm-up (stop lists): {time.perf_counter() - started:.2f} s")

    folder = default_corpus_root() / "web-unseen-dev"
    pages = sorted(p for p in folder.glob("W*") if p.is_file()) if folder.is_dir() else []
    if pages:
        times = []
        for path in pages:
            raw = next(iter(iter_dispatches([str(path)]))).raw()

            def run(raw=raw) -> None:
                for item in parse_dispatch(raw):
                    clean(item)

            times.append((timed(run, args.repeat), path.name))
        ms = sorted(t * 1000 for t, _ in times)
        slowest = max(times)
        print(
            f"web-unseen-dev: {len(pages)} pages, parse+clean median {statistics.median(ms):.1f} ms, "
            f"p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, slowest {slowest[0] * 1000:.1f} ms ({slowest[1][:40]})"
        )
    else:
        print(f"web-unseen-dev not found under {folder}: real pages skipped")

    web = WebTextParser()
    base = None
    print(f"{'units':>7} {'ms/page':>9} {'ms/1000 units':>14} {'ratio':>6}")
    for size in args.sizes:
        raw = synthetic(size)
        seconds = timed(lambda raw=raw: web.parse(raw, ()), args.repeat)
        per_unit = seconds / size
        base = base or per_unit
        print(f"{size:>7} {seconds * 1000:>9.1f} {per_unit * 1e6:>14.1f} {per_unit / base:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
