#!/usr/bin/env python3
"""Enrichment cost per component: median milliseconds per dispatch, single calls vs batches.

Three sets of real dispatches from the shared corpus, parsed and cleaned first (not timed):

- seed: the AA French seed dispatch, enriched ``--repeat`` times;
- aa: every corpus item the parsers attribute to Anadolu Agency (web pages, scraped text,
  CSV rows) — French, Turkish, Arabic, English;
- reuters: the first ``--reuters`` stories of reut2-000.sgm (English, 1987).

Each set is enriched one item at a time (``enricher(item)``) and in batches of
``--batch`` (``enricher.batch(items)``: spaCy reads each language's items in one
``nlp.pipe`` stream; its time is shared evenly among the batch). Per component the median
over the set's items of ``Enrichment.timings`` is printed, with dispatches per second of
the whole run. Also: warm-up time and RSS after warm-up of this process, and, with
``--startup``, cold and warm start of a fresh process (empty gazetteer cache, then filled).

The machine is shared and noisy: compare medians and ratios, not single figures.

    .venv/bin/python bench/enrich_components.py [--reuters 1000] [--batch 64] [--repeat 20] [--startup]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.enrich.config import EnrichConfig  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.parsers import load_all  # noqa: E402
from pipeline.records import ParsedItem  # noqa: E402
from pipeline.sources import iter_dispatches  # noqa: E402
from pipeline.stages.clean import clean  # noqa: E402
from pipeline.stages.enrich import Enricher, build_enricher  # noqa: E402

COMPONENTS = ("text", "language", "ner", "places", "organisations", "people", "subjects", "dates", "quotes", "total")


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")


def rss_mb() -> float:
    """Resident set size of this process now, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parsed(paths: Sequence[Path], limit: int | None = None) -> list[ParsedItem]:
    """Parsed and cleaned items of the dispatches under ``paths`` (failures skipped)."""
    parsers = load_all()
    items: list[ParsedItem] = []
    for dispatch in iter_dispatches([str(p) for p in paths]):
        raw = dispatch.raw()
        try:
            found = parsers.detect(raw.value, raw.headers).parse(raw.value, raw.headers)
        except PipelineError:
            continue
        items += [clean(item) for item in found]
        if limit is not None and len(items) >= limit:
            return items[:limit]
    return items


def datasets(corpus: Path, reuters: int, repeat: int) -> dict[str, list[ParsedItem]]:
    seed = parsed([corpus / "seed" / "000_562c3f23ca94c5ff.txt"])
    aa = [i for i in parsed([corpus / "web", corpus / "agency-formats" / "extra"]) if i.agency == "aa"]
    return {
        "seed": seed * repeat,
        "aa": aa,
        "reuters": parsed([corpus / "reuters21578" / "reut2-000.sgm"], limit=reuters),
    }


def run(enricher: Enricher, items: list[ParsedItem], batch: int | None) -> tuple[dict[str, float], float]:
    """Median ms per component over ``items``, and dispatches per second of the run."""
    per: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()
    if batch is None:
        results = [enricher(item) for item in items]
    else:
        results = []
        for i in range(0, len(items), batch):
            results += enricher.batch(items[i : i + batch])
    seconds = time.perf_counter() - started
    for result in results:
        for name, value in result.timings:
            per[name].append(value * 1000)
    medians = {name: statistics.median(values) for name, values in per.items()}
    return medians, len(items) / seconds if seconds else 0.0


def startup(cache: Path) -> float:
    """Seconds a fresh process takes to import and warm enrichment up with ``cache``."""
    code = (
        "import time; t = time.perf_counter(); "
        "from pathlib import Path; from pipeline.enrich.config import EnrichConfig; "
        "from pipeline.stages.enrich import build_enricher; "
        f"build_enricher(EnrichConfig(cache_dir=Path({str(cache)!r}))).warm_up(); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuters", type=int, default=1000, help="Reuters-21578 stories (default 1000)")
    parser.add_argument("--batch", type=int, default=64, help="batch size of the batch runs (default 64)")
    parser.add_argument("--repeat", type=int, default=20, help="times the seed is enriched (default 20)")
    parser.add_argument("--startup", action="store_true", help="also time cold and warm start of a fresh process")
    args = parser.parse_args()
    corpus = corpus_dir()
    if not corpus.is_dir():
        print(f"corpus not found at {corpus} (set WIREFEED_CORPUS)", file=sys.stderr)
        return 2

    if args.startup:
        with tempfile.TemporaryDirectory(prefix="wirefeed-bench-") as tmp:
            cold, warm = startup(Path(tmp)), startup(Path(tmp))
        print(f"start-up of a fresh process (import + warm_up): cold {cold:.1f} s, warm {warm:.1f} s")

    rss_start = rss_mb()
    enricher = build_enricher(EnrichConfig())
    began = time.perf_counter()
    enricher.warm_up()
    print(
        f"warm-up {time.perf_counter() - began:.1f} s (gazetteer from the cache when present); "
        f"RSS {rss_start:.0f} MB before, {rss_mb():.0f} MB after warm-up"
    )
    sets = datasets(corpus, args.reuters, args.repeat)
    print("items: " + ", ".join(f"{name} {len(items)}" for name, items in sets.items()))

    columns: list[tuple[str, dict[str, float], float]] = []
    for name, items in sets.items():
        for mode, batch in (("single", None), (f"batch{args.batch}", args.batch)):
            medians, rate = run(enricher, items, batch)
            columns.append((f"{name}/{mode}", medians, rate))

    width = max(len(c[0]) for c in columns) + 2
    print("\nmedian ms per dispatch")
    print(f"{'component':<14}" + "".join(f"{c[0]:>{width}}" for c in columns))
    for component in COMPONENTS:
        print(f"{component:<14}" + "".join(f"{c[1].get(component, 0.0):>{width}.2f}" for c in columns))
    print(f"{'dispatches/s':<14}" + "".join(f"{c[2]:>{width}.1f}" for c in columns))
    print(f"\nRSS after the runs: {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
