#!/usr/bin/env python3
"""What the worker's metrics cost per dispatch, next to what the stages cost.

The real stages run once in-process over the dispatches (the sample firehose, or
Reuters-21578 files from the corpus with ``--files``), in batches of 64, giving the real
outcomes and stage timings of every record. Then the worker's counting
(``pipeline.observability.metrics.StageMetrics``: the stage-time histogram from the
timings, the in/out/dead-letter/published counters and the per-agency arrival gauge from
the outcomes) runs over the same batches ``--repeat`` times. Prints, per stage and in
total: the stage's own time per dispatch, the metrics' time per dispatch (median of the
repeats) and their ratio; and the time of one ``/metrics`` scrape (text exposition).

    .venv/bin/python bench/metrics_overhead.py [--files reut2-000.sgm] [--limit 1000] [--repeat 20] [--ner]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prometheus_client import generate_latest  # noqa: E402

from pipeline.delivery.pool import Timings, _timed_batch  # noqa: E402
from pipeline.observability import metrics, observer  # noqa: E402
from pipeline.records import Outcome, Provenance, RawDispatch  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.sources import iter_dispatches  # noqa: E402
from pipeline.topics import TopicNames  # noqa: E402
from pipeline.work import make_work  # noqa: E402

BATCH = 64
Batch = tuple[list[RawDispatch], list[list[Outcome]], Timings]


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")


def inputs(args: argparse.Namespace) -> list[RawDispatch]:
    if args.files:
        paths = [str(corpus_dir() / "reuters21578" / name) for name in args.files]
    else:
        paths = [str(ROOT / "samples" / "firehose")]
    found = list(iter_dispatches(paths, exclude=["MANIFEST.json", "README.md"]))[: args.limit]
    stamp = int(time.time() * 1000)
    return [
        RawDispatch(d.value, d.headers(), provenance=Provenance("wire.raw", n % 4, n, stamp))
        for n, d in enumerate(found)
    ]


def run_stage(kind: str, records: list[RawDispatch], settings: Settings) -> list[Batch]:
    work = make_work(kind, settings)
    work.warm_up()
    out = []
    for i in range(0, len(records), BATCH):
        batch = records[i : i + BATCH]
        timings = Timings()
        out.append((batch, _timed_batch(work, batch, timings), timings))
    return out


def next_inputs(batches: list[Batch], topic: str) -> list[RawDispatch]:
    """The records the next agent reads: each internal outcome, with its headers, as read from ``topic``."""
    return [
        RawDispatch(o.value, o.headers, o.key, Provenance(topic, 0, n, int(time.time() * 1000)))
        for n, o in enumerate(o for _, per_record, _ in batches for outcomes in per_record for o in outcomes)
        if o.topic == topic
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", nargs="*", help="Reuters-21578 files of the corpus (default: the sample firehose)")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--ner", action="store_true", help="with the statistical NER models (WIREFEED_SPACY_MODELS)")
    args = parser.parse_args()
    # without statistical NER unless asked: the stages' cost is then the smallest, the ratio the largest
    settings = Settings.from_env() if args.ner else Settings.from_env(spacy_models=())
    names = TopicNames.with_prefix("")
    raws = inputs(args)
    # the stages: parse-clean on the raw records, enrich-emit on its internal records (learned
    # boilerplate is left out: it passes the records through, as the metrics see them)
    stages: dict[str, list[Batch]] = {"parse-clean": run_stage("parse-clean", raws, settings)}
    stages["enrich-emit"] = run_stage("enrich-emit", next_inputs(stages["parse-clean"], names.parsed), settings)
    obs = observer()
    print(f"{len(raws)} dispatches, batches of {BATCH}, {args.repeat} repeats (medians)")
    print(f"{'stage':<14} {'records':>8} {'stage us/rec':>13} {'metrics us/rec':>15} {'ratio':>8}")
    total_stage = total_metrics = 0.0
    for name, batches in stages.items():
        stage_metrics = obs.metrics_of(name)
        count = sum(len(records) for records, _, _ in batches)
        spent = sum(t.batch + sum(s or 0.0 for s in t.records) for _, _, t in batches)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            for records, per_record, timings in batches:
                stage_metrics.timed(timings, len(records))
                stage_metrics.done(records, per_record)
            times.append(time.perf_counter() - started)
        per_stage = spent / count * 1e6
        per_metrics = statistics.median(times) / count * 1e6
        total_stage += per_stage
        total_metrics += per_metrics
        print(f"{name:<14} {count:>8} {per_stage:>13.1f} {per_metrics:>15.2f} {per_metrics / per_stage:>8.2%}")
    print(f"{'both':<14} {'':>8} {total_stage:>13.1f} {total_metrics:>15.2f} {total_metrics / total_stage:>8.2%}")
    scrapes = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        body = generate_latest(metrics.REGISTRY)
        scrapes.append(time.perf_counter() - started)
    print(f"one /metrics scrape: {statistics.median(scrapes) * 1e3:.2f} ms, {len(body):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
