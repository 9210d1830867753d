#!/usr/bin/env python3
"""Latency at a fixed offered load: produce timestamp to the article's acknowledgement.

An embedded broker and ``--workers`` real worker processes (``wirefeed worker``, the
profile of ``--profile``) take Reuters-21578 dispatches produced at ``--rate`` per second
(paced on a fixed schedule, not as fast as they are taken) for ``--seconds``. For every
dispatch the produce time is the raw record's timestamp (set here when it is sent); its
article is found by the raw coordinates it carries (``wf_raw_partition``/``wf_raw_offset``):

* acknowledged: the article record's timestamp, set by the worker's producer when it sends
  it (acknowledged a round trip later; a lower bound);
* seen: when a consumer of ``wire.articles`` here receives it (an upper bound: it adds the
  consumer's fetch wait).

Prints p50, p90, p99 and max of both in ms, the achieved rate, dead letters, and each
worker's peak RSS (stage processes included). Workers are warmed up first (models loaded,
partitions assigned) and not timed.

    .venv/bin/python bench/latency.py [--profile fast|full] [--rate 50] [--seconds 60] [--workers 1]

With ``--backfill N``, the same live load is measured again while a backfill runs: N other
dispatches loaded into a second pipeline of its own (its own topics, ``WIREFEED_TOPIC_PREFIX``,
and consumer group, ``WIREFEED_APP_ID``; ``--workers`` workers of its own) on the same broker
and machine, once per ``--backfill-nice`` value (the backfill workers' CPU priority, ``nice``;
their stage processes inherit it). Printed side by side: the live latency without a backfill
and with each, and how many backfill dispatches were done per second meanwhile.

    .venv/bin/python bench/latency.py --profile fast --backfill 9000 --backfill-nice 0 19
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

from pipeline.broker import EmbeddedBroker, die_with_parent  # noqa: E402
from pipeline.kafka import ensure_topics, producer, read  # noqa: E402
from pipeline.sources import SourceDispatch, iter_dispatches  # noqa: E402
from pipeline.topics import TopicNames  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from throughput import _children, _peak_rss_mb, _produce_and_wait, corpus_dir  # noqa: E402

#: seconds without any outcome after which the run is over
QUIET = 15.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _header(headers: Any, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def _start_workers(
    broker: EmbeddedBroker, args: argparse.Namespace, workdir: Path, prefix: str, nice: int = 0
) -> list[subprocess.Popen[bytes]]:
    """``--workers`` worker processes of the pipeline named by ``prefix`` (its topics, its group)."""
    env = {
        **os.environ,
        "WIREFEED_BROKER": broker.url,
        "WIREFEED_APP_ID": f"wirefeed-{prefix.rstrip('.')}",
        "WIREFEED_PROFILE": args.profile,
        "WIREFEED_STAGE_POOL": args.pool,
        "WIREFEED_TOPIC_PREFIX": prefix,
        "WIREFEED_PARTITIONS": "4",
        "WIREFEED_SESSION_TIMEOUT": "10",
        "WIREFEED_HEARTBEAT_INTERVAL": "1",
        "WIREFEED_REBALANCE_TIMEOUT": "3",
        "WIREFEED_LOG_LEVEL": "warning",
    }

    def start() -> None:
        die_with_parent()
        if nice:
            os.nice(nice)  # the worker and the stage processes it starts

    procs = []
    for n in range(args.workers):
        with (workdir / f"{prefix}worker-{n}.log").open("ab") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "pipeline", "worker"],
                    env={**env, "WIREFEED_DATA_DIR": str(workdir / f"{prefix}state-{n}")},
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=start,
                )
            )
    return procs


async def measure(
    dispatches: list[SourceDispatch],
    args: argparse.Namespace,
    workdir: Path,
    backfill: list[SourceDispatch] | None = None,
    nice: int | None = 0,
) -> dict[str, Any]:
    """The live load's latency; with ``backfill``, while a second pipeline works those off (``nice``
    None: while the live pipeline itself does, the backlog in its own wire.raw)."""
    with EmbeddedBroker("127.0.0.1:0", log_file=workdir / "broker.log") as broker:
        names = TopicNames.with_prefix("bench-latency.")
        shared = nice is None  # the backlog in the live pipeline's own wire.raw
        back = names if shared else TopicNames.with_prefix("bench-backfill.")
        await ensure_topics(broker.bootstrap, names.all(), 4)
        procs = _start_workers(broker, args, workdir, "bench-latency.")
        others: list[subprocess.Popen[bytes]] = []
        if backfill and not shared:
            await ensure_topics(broker.bootstrap, back.all(), 4)
            others = _start_workers(broker, args, workdir, "bench-backfill.", nice)
        try:
            warm = 8 * args.workers
            backlog: set[tuple[int, int]] = set()
            if backfill:  # both pipelines warm (models loaded, partitions assigned), then the backlog
                await asyncio.gather(
                    _produce_and_wait(broker.bootstrap, names, dispatches[:warm], timeout=600),
                    *([_produce_and_wait(broker.bootstrap, back, backfill[:warm], timeout=600)] if not shared else []),
                )
                async with producer(broker.bootstrap) as prod:
                    futures = [await prod.send(back.raw, d.value, headers=list(d.headers())) for d in backfill[warm:]]
                    backlog = {(md.partition, md.offset) for md in await asyncio.gather(*futures)}
            else:
                await _produce_and_wait(broker.bootstrap, names, dispatches[:warm], timeout=600)
            ignore = backlog if shared else set()  # the backlog's outcomes are not the live load's
            result = await _offered(broker.bootstrap, names, dispatches[warm:], args, procs, ignore)
            result["hops"] = await _hops(broker.bootstrap, names, result["sent_at"], result["acked_at"])
            if backfill:
                live_raw = set(result["sent_at"]) if shared else set()
                result["backfill"] = await _backfill_rate(broker.bootstrap, back, result["window"], live_raw)
                result["backfill"]["of"] = float(len(backfill))
            return result
        finally:
            for proc in procs + others:
                proc.terminate()
            for proc in procs + others:
                proc.wait(30)


async def _backfill_rate(
    bootstrap: str, names: TopicNames, window: tuple[float, float], live: set[tuple[int, int]]
) -> dict[str, float]:
    """Backfill outcomes published while the live load was offered (their record timestamps);
    ``live``: the raw coordinates of the live dispatches, where both share a pipeline."""
    start, end = window
    within = total = 0
    async for record in read(bootstrap, list(names.outcomes()), idle_timeout=1.0):
        partition, offset = _header(record.headers, "wf_raw_partition"), _header(record.headers, "wf_raw_offset")
        if live and partition is not None and offset is not None and (int(partition), int(offset)) in live:
            continue
        total += 1
        within += start <= record.timestamp <= end
    return {"rate": within / max((end - start) / 1000, 1e-9), "done": float(total)}


async def _offered(
    bootstrap: str,
    names: TopicNames,
    dispatches: list[SourceDispatch],
    args: argparse.Namespace,
    procs: list[Any],
    ignore: set[tuple[int, int]] | None = None,
) -> dict[str, Any]:
    total = int(args.rate * args.seconds)
    sent: dict[tuple[int, int], float] = {}  # raw coordinates -> produce time (ms)
    acked: dict[tuple[int, int], float] = {}
    seen: dict[tuple[int, int], float] = {}
    dead = 0
    done = asyncio.Event()
    last = [time.monotonic()]  # when the last outcome came

    async def consume() -> None:
        nonlocal dead
        records = read(bootstrap, [names.articles, names.deadletter], from_beginning=False, follow=True)
        async for record in records:
            now = time.time() * 1000
            last[0] = time.monotonic()
            partition, offset = _header(record.headers, "wf_raw_partition"), _header(record.headers, "wf_raw_offset")
            if partition is None or offset is None:
                continue
            coord = (int(partition), int(offset))
            if ignore and coord in ignore:
                continue
            if record.topic == names.deadletter:
                dead += 1
            elif coord not in acked:
                acked[coord], seen[coord] = float(record.timestamp), now
            if sent and len(acked) + dead >= total:
                done.set()
                break
        await records.aclose()

    reader = asyncio.create_task(consume())
    await asyncio.sleep(2)  # the consumer has its partitions before the first dispatch
    started = time.perf_counter()
    window_start = time.time() * 1000
    async with producer(bootstrap) as prod:
        pending = []
        for n in range(total):
            due = started + n / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            d = dispatches[n % len(dispatches)]
            stamp = int(time.time() * 1000)
            future = await prod.send(names.raw, d.value, headers=list(d.headers()), timestamp_ms=stamp)
            pending.append((future, stamp))
        for future, stamp in pending:
            md = await future
            sent[(md.partition, md.offset)] = stamp
    offered = total / (time.perf_counter() - started)
    window = (window_start, time.time() * 1000)
    # every dispatch has its outcome, or none came for a while: a duplicate the story desk
    # recognises gets no article of its own, and what is still missing then is reported as such
    deadline = time.monotonic() + args.seconds * 5 + 120
    while not done.is_set() and time.monotonic() < deadline and time.monotonic() - last[0] < QUIET:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=1.0)
    reader.cancel()
    ack = [acked[c] - sent[c] for c in sent if c in acked]
    see = [seen[c] - sent[c] for c in sent if c in seen]
    rss = [sum(filter(None, (_peak_rss_mb(pid) for pid in (p.pid, *_children(p.pid))))) for p in procs]
    return {
        "sent_at": sent,
        "acked_at": acked,
        "window": window,
        "offered": offered,
        "sent": len(sent),
        "articles": len(ack),
        "dead": dead,
        "ack": ack,
        "seen": see,
        "rss": rss,
    }


async def _hops(
    bootstrap: str, names: TopicNames, sent: dict[tuple[int, int], float], acked: dict[tuple[int, int], float]
) -> dict[str, list[float]]:
    """Per hop, ms from the previous record's timestamp to this one's (raw -> wire.parsed ->
    wire.cleaned -> article): where the time goes. Internal records name their raw record
    in their JSON (``raw.provenance``)."""
    import orjson

    stamps: dict[str, dict[tuple[int, int], float]] = {names.parsed: {}, names.cleaned: {}}
    async for record in read(bootstrap, [names.parsed, names.cleaned]):
        prov = (orjson.loads(record.value).get("raw") or {}).get("provenance") or {}
        coord = (prov.get("partition"), prov.get("offset"))
        if coord in sent:
            stamps[record.topic].setdefault(coord, float(record.timestamp))
    chain = [
        ("raw -> parsed", sent, stamps[names.parsed]),
        ("parsed -> cleaned", stamps[names.parsed], stamps[names.cleaned]),
    ]
    chain.append(("cleaned -> article", stamps[names.cleaned], acked))
    return {name: [after[c] - before[c] for c in before if c in after] for name, before, after in chain}


def _report(title: str, result: dict[str, Any]) -> None:
    print(
        f"{title}: offered {result['offered']:.1f} dispatches/s ({result['sent']} sent; "
        f"{result['articles']} articles, {result['dead']} dead letters)"
    )
    for name in ("ack", "seen"):
        values = result[name]
        if not values:
            continue
        print(
            f"  {'acknowledged' if name == 'ack' else 'seen by a consumer':<19} ms: "
            f"p50 {statistics.median(values):7.0f}  p90 {percentile(values, 0.9):7.0f}  "
            f"p99 {percentile(values, 0.99):7.0f}  max {max(values):7.0f}"
        )
    for name, values in result["hops"].items():
        if values:
            print(
                f"  hop {name:<19}: p50 {statistics.median(values):7.0f}  p90 {percentile(values, 0.9):7.0f}  "
                f"p99 {percentile(values, 0.99):7.0f}"
            )
    if "backfill" in result:
        back = result["backfill"]
        print(
            f"  backfill meanwhile : {back['rate']:.1f} dispatches/s done during the live load "
            f"({back['done']:.0f} of {back['of']:.0f} done by the end)"
        )
    print(f"  peak RSS per worker (stage processes included): {', '.join(f'{r:.0f} MB' for r in result['rss'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=["fast", "full"], default="full")
    parser.add_argument("--rate", type=float, default=50.0, help="offered dispatches per second (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load is offered (default 60)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pool", choices=["process", "thread"], default="process", help="WIREFEED_STAGE_POOL")
    parser.add_argument(
        "--files", nargs="+", help="Reuters-21578 files (default: reut2-000.sgm on, as many as the run needs)"
    )
    parser.add_argument(
        "--backfill", type=int, default=0, help="also measure with a backlog of N other dispatches in a second pipeline"
    )
    parser.add_argument(
        "--backfill-nice", type=int, nargs="+", default=[19], help="the backfill workers' nice values, one run each"
    )
    args = parser.parse_args()
    reuters = corpus_dir() / "reuters21578"
    if not reuters.is_dir():
        print(f"corpus not found at {reuters} (set WIREFEED_CORPUS)", file=sys.stderr)
        return 2
    # distinct dispatches: a re-sent one would be a duplicate to the story desk (no article)
    needed = int(args.rate * args.seconds) + 8 * args.workers
    files = (
        [str(reuters / f) for f in args.files] if args.files else [str(f) for f in sorted(reuters.glob("reut2-*.sgm"))]
    )
    dispatches: list[SourceDispatch] = []
    for dispatch in iter_dispatches(files):
        dispatches.append(dispatch)
        if len(dispatches) >= needed + args.backfill:
            break
    live, backfill = dispatches[:needed], dispatches[needed:]
    runs: list[tuple[str, list[SourceDispatch], int | None]] = [("live load alone", [], 0)]
    if args.backfill:
        runs.append((f"with a backlog of {len(backfill)} in the live pipeline's own wire.raw", backfill, None))
        runs += [
            (f"with a backfill of {len(backfill)} in a pipeline of its own at nice {n}", backfill, n)
            for n in args.backfill_nice
        ]
    load = os.getloadavg()
    print(
        f"profile {args.profile}, {args.workers} worker(s) per pipeline, stages in a {args.pool}, "
        f"{args.rate:.0f} dispatches/s for {args.seconds:.0f} s; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    for title, extra, nice in runs:
        with tempfile.TemporaryDirectory(prefix="wirefeed-latency-") as tmp:
            result = asyncio.run(measure(live, args, Path(tmp), extra, nice))
        _report(title, result)
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
