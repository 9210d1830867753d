#!/usr/bin/env python3
"""The cost of choosing among every language: ms per dispatch and memory, restricted vs all.

The language detector chooses among every language it knows by default (lingua's 75
plus the function-word-only ones); a deployment may restrict it to a few (``WIREFEED_
LANGUAGES``, ``WIREFEED_SOURCE_LANGUAGES``). This measures what the default costs against
the former restriction to sixteen agency languages, in lingua's low- and (``--high``)
high-accuracy modes.

Texts (parsed and cleaned first, not timed): the first ``--reuters`` Reuters-21578
stories (English, tables included), every page of ``web-unseen-dev`` (20 languages) and
the AA seed. Each configuration runs in a fresh process, so that its memory is its own:
RSS after importing the pipeline (baseline), after building the detector, and after
detecting every text; then the median, 90th percentile and mean milliseconds of one
``identify`` call, the first call (which loads nothing: models are preloaded) excluded.

The machine is shared and noisy: compare medians and ratios, not single figures.

    .venv/bin/python bench/language_detection.py [--reuters 500] [--repeat 3] [--high]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: the sixteen agency languages the detector was restricted to before it chose among all
RESTRICTED = ("en", "fr", "de", "es", "it", "pt", "nl", "tr", "ar", "ru", "el", "da", "nb", "sv", "fi", "pl")


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def texts(reuters: int) -> list[str]:
    """The enrichment text of every dispatch of the sets (see the module docstring)."""
    from pipeline.enrich.text import item_text
    from pipeline.errors import PipelineError
    from pipeline.parsers import load_all
    from pipeline.sources import iter_dispatches
    from pipeline.stages.clean import clean

    corpus = corpus_dir()
    parsers = load_all()
    out: list[str] = []
    sets = [
        (corpus / "reuters21578" / "reut2-000.sgm", reuters),
        (corpus / "web-unseen-dev", None),
        (corpus / "seed", None),
    ]
    for path, limit in sets:
        if not path.exists():
            continue
        taken = 0
        for dispatch in iter_dispatches([str(path)]):
            if not dispatch.input.endswith((".txt", ".html", ".sgm")) and "#" not in dispatch.input:
                continue
            raw = dispatch.raw()
            try:
                items = parsers.detect(raw.value, raw.headers).parse(raw.value, raw.headers)
            except PipelineError:
                continue
            out += [item_text(clean(item)).value for item in items]
            taken += len(items)
            if limit is not None and taken >= limit:
                break
    return out


def one(languages: tuple[str, ...], accuracy: str, reuters: int, repeat: int) -> dict[str, object]:
    """Measure one configuration in this process (see the module docstring)."""
    from pipeline.enrich.config import EnrichConfig
    from pipeline.enrich.language import detector, identify

    sample = texts(reuters)
    baseline = rss_mb()
    config = EnrichConfig(languages=languages, language_accuracy=accuracy, spacy_models=(), cache_dir=None)
    started = time.perf_counter()
    detector(config)
    identify("A first text to load the function-word lists of every language.", config)
    build_s = time.perf_counter() - started
    built = rss_mb()
    times: list[float] = []
    for _ in range(repeat):
        for text in sample:
            t0 = time.perf_counter()
            identify(text, config)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "languages": "all" if not languages else f"{len(languages)} agency languages",
        "accuracy": accuracy,
        "texts": len(sample),
        "build_s": round(build_s, 2),
        "rss_base_mb": round(baseline),
        "rss_detector_mb": round(built - baseline),
        "rss_after_mb": round(rss_mb() - baseline),
        "median_ms": round(statistics.median(times), 3),
        "p90_ms": round(times[int(len(times) * 0.9)], 3),
        "mean_ms": round(statistics.fmean(times), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuters", type=int, default=500, help="Reuters-21578 stories (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the texts (default 3)")
    parser.add_argument("--high", action="store_true", help="also lingua's high-accuracy mode")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # "all|restricted:low|high", in a child process
    args = parser.parse_args()
    if args.one:
        which, accuracy = args.one.split(":")
        languages = () if which == "all" else RESTRICTED
        print(json.dumps(one(languages, accuracy, args.reuters, args.repeat)))
        return
    modes = ["low", "high"] if args.high else ["low"]
    rows = []
    for accuracy in modes:
        for which in ("restricted", "all"):
            command = [sys.executable, __file__, "--one", f"{which}:{accuracy}", "--reuters", str(args.reuters)]
            command += ["--repeat", str(args.repeat)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    header = f"{'candidates':<22}{'mode':<6}{'texts':>6}{'median ms':>11}{'p90 ms':>9}{'mean ms':>9}"
    header += f"{'build s':>9}{'detector MB':>13}{'after MB':>10}"
    print(header)
    for row in rows:
        print(
            f"{row['languages']:<22}{row['accuracy']:<6}{row['texts']:>6}{row['median_ms']:>11}{row['p90_ms']:>9}"
            f"{row['mean_ms']:>9}{row['build_s']:>9}{row['rss_detector_mb']:>13}{row['rss_after_mb']:>10}"
        )
    for accuracy in modes:
        pair = [r for r in rows if r["accuracy"] == accuracy]
        if len(pair) == 2 and pair[0]["median_ms"]:
            ratio = pair[1]["median_ms"] / pair[0]["median_ms"]
            memory = pair[1]["rss_after_mb"] - pair[0]["rss_after_mb"]
            print(f"{accuracy}: all / restricted median ratio {ratio:.2f}, memory {memory:+d} MB")


if __name__ == "__main__":
    main()
