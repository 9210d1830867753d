#!/usr/bin/env python3
"""Learned-boilerplate state: its size and the changelog bytes each batch writes, before/after.

Runs real dispatches (Reuters-21578 from the shared corpus by default) through parse and
clean once, then feeds the cleaned items in batches (``--batch``, as the learn agent gets
them) to two learned-boilerplate stages side by side:

* before: the stage at git revision ``--baseline`` (one JSON state per source; each batch
  writes the whole state of every source it touched to the changelog);
* now: ``pipeline.stages.boilerplate.Learner`` (one small key per line, story mark and
  shard; each batch writes only the keys it changed).

Prints, per stage: changelog bytes per batch (median, p95, max), total bytes written (the
changelog before compaction), the state after the run (what a restart replays once the
changelog is compacted), lines removed, and microseconds per item. Sizes count key + value
bytes as the changelog record carries them (no Kafka framing).

    .venv/bin/python bench/boilerplate_state.py [--files reut2-000.sgm reut2-001.sgm] [--batch 64]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.records import CleanedDispatch, ParsedItem  # noqa: E402
from pipeline.sources import iter_dispatches  # noqa: E402
from pipeline.stages import boilerplate, flow  # noqa: E402
from pipeline.stages.clean import clean  # noqa: E402


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")


def cleaned_items(paths: list[str], limit: int, cfg: boilerplate.LearnerConfig) -> list[CleanedDispatch]:
    stages = flow.Stages(parse=flow.parse_dispatch, clean=clean, enrich=lambda item: None)  # type: ignore[arg-type,return-value]
    out: list[CleanedDispatch] = []
    for n, dispatch in enumerate(iter_dispatches(paths)):
        if n >= limit:
            break
        for result in flow.first_half(dispatch.raw(), stages, learning=cfg):
            if isinstance(result, CleanedDispatch):
                out.append(result)
    return out


def load_baseline(rev: str) -> Any:
    """The old stage module, read from git (it no longer exists in the tree)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:pipeline/stages/boilerplate.py"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "boilerplate_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("boilerplate_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run_baseline(old: Any, items: list[CleanedDispatch], batch: int) -> dict[str, Any]:
    states: dict[str, Any] = {}
    per_batch: list[int] = []
    removed = 0
    start = time.perf_counter()
    for i in range(0, len(items), batch):
        touched: set[str] = set()
        for cleaned in items[i : i + batch]:
            key = old.source_key(cleaned.item, cleaned.raw.headers)
            state = states.setdefault(key, old.new_state())
            item = old.strip_learned(cleaned.item, state)
            old.observe(item, cleaned.story_id, state)
            removed += len(item.removed) - len(cleaned.item.removed)
            touched.add(key)
        # the agent wrote table[source] = state for every touched source, once per batch
        per_batch.append(sum(len(k.encode()) + len(json.dumps(states[k]).encode()) for k in touched))
    elapsed = time.perf_counter() - start
    state_bytes = sum(len(k.encode()) + len(json.dumps(s).encode()) for k, s in states.items())
    return _summary(per_batch, state_bytes, len(states), removed, elapsed, len(items))


def run_now(items: list[CleanedDispatch], batch: int, cfg: boilerplate.LearnerConfig) -> dict[str, Any]:
    learner = boilerplate.Learner(cfg)
    per_batch: list[int] = []
    removed = 0
    start = time.perf_counter()
    for i in range(0, len(items), batch):
        for cleaned in items[i : i + batch]:
            stamp = cleaned.raw.provenance.timestamp_ms if cleaned.raw.provenance else None
            item: ParsedItem = learner.learn(cleaned.item, cleaned.story_id, cleaned.source, stamp or 0)
            removed += len(item.removed) - len(cleaned.item.removed)
        per_batch.append(learner.flush().bytes)
    elapsed = time.perf_counter() - start
    stats = learner.stats()
    result = _summary(per_batch, stats["stored_bytes"], stats["stored_keys"], removed, elapsed, len(items))
    result["memory-only first sightings"] = stats["fresh_lines"]
    result["shards"] = stats["shards"]
    return result


def _summary(per_batch: list[int], state: int, keys: int, removed: int, elapsed: float, n: int) -> dict[str, Any]:
    ordered = sorted(per_batch)
    return {
        "batches": len(per_batch),
        "changelog bytes/batch median": int(statistics.median(ordered)),
        "changelog bytes/batch p95": ordered[int(0.95 * (len(ordered) - 1))],
        "changelog bytes/batch max": ordered[-1],
        "changelog bytes total": sum(per_batch),
        "state bytes (compacted replay)": state,
        "state records": keys,
        "lines removed": removed,
        "us/item": round(elapsed / max(n, 1) * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", nargs="*", default=["reut2-000.sgm", "reut2-001.sgm", "reut2-002.sgm"])
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--shards", type=int, default=boilerplate.DEFAULT.shards)
    parser.add_argument("--baseline", default="c71850b", help="git revision of the stage before (default: c71850b)")
    args = parser.parse_args()
    paths = [str(p if Path(p).exists() else corpus_dir() / "reuters21578" / p) for p in args.files]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        sys.exit(f"not found: {missing} (set WIREFEED_CORPUS)")
    cfg = boilerplate.LearnerConfig(shards=args.shards, partitions=4)
    items = cleaned_items(paths, args.limit, cfg)
    print(f"{len(items)} cleaned items from {len(paths)} file(s), batches of {args.batch}, {args.shards} shard(s)")
    before = run_baseline(load_baseline(args.baseline), items, args.batch)
    now = run_now(items, args.batch, cfg)
    print(f"{'':34} {'before':>12} {'now':>12} {'now/before':>11}")
    for key in before:
        b, n = before[key], now[key]
        ratio = f"{n / b:.3f}" if isinstance(b, int | float) and b else "-"
        print(f"{key:34} {b:>12} {n:>12} {ratio:>11}")
    for key in now.keys() - before.keys():
        print(f"{key:34} {'-':>12} {now[key]:>12}")


if __name__ == "__main__":
    main()
