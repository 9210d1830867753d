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


async def measure(dispatches: list[SourceDispatch], args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with EmbeddedBroker("127.0.0.1:0", log_file=workdir / "broker.log") as broker:
        names = TopicNames.with_prefix("bench-latency.")
        env = {
            **os.environ,
            "WIREFEED_BROKER": broker.url,
            "WIREFEED_APP_ID": "wirefeed-bench-latency",
            "WIREFEED_PROFILE": args.profile,
            "WIREFEED_STAGE_POOL": args.pool,
            "WIREFEED_TOPIC_PREFIX": "bench-latency.",
            "WIREFEED_PARTITIONS": "4",
            "WIREFEED_SESSION_TIMEOUT": "10",
            "WIREFEED_HEARTBEAT_INTERVAL": "1",
            "WIREFEED_REBALANCE_TIMEOUT": "3",
            "WIREFEED_LOG_LEVEL": "warning",
        }
        await ensure_topics(broker.bootstrap, names.all(), 4)
        procs = []
        for n in range(args.workers):
            with (workdir / f"worker-{n}.log").open("ab") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "pipeline", "worker"],
                        env={**env, "WIREFEED_DATA_DIR": str(workdir / f"state-{n}")},
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        preexec_fn=die_with_parent,
                    )
                )
        try:
            warm = 8 * args.workers
            await _produce_and_wait(broker.bootstrap, names, dispatches[:warm], timeout=600)
            result = await _offered(broker.bootstrap, names, dispatches[warm:], args, procs)
            result["hops"] = await _hops(broker.bootstrap, names, result["sent_at"], result["acked_at"])
            return result
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)


async def _offered(
    bootstrap: str, names: TopicNames, dispatches: list[SourceDispatch], args: argparse.Namespace, procs: list[Any]
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
    dispatches = []
    for dispatch in iter_dispatches(files):
        dispatches.append(dispatch)
        if len(dispatches) >= needed:
            break
    with tempfile.TemporaryDirectory(prefix="wirefeed-latency-") as tmp:
        result = asyncio.run(measure(dispatches, args, Path(tmp)))
    load = os.getloadavg()
    print(
        f"profile {args.profile}, {args.workers} worker(s), stages in a {args.pool}, "
        f"offered {result['offered']:.1f} dispatches/s for "
        f"{args.seconds:.0f} s ({result['sent']} sent; {result['articles']} articles, {result['dead']} dead letters); "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
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
    print(f"  peak RSS per worker (stage processes included): {', '.join(f'{r:.0f} MB' for r in result['rss'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
