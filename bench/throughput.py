#!/usr/bin/env python3
"""Throughput baseline: the stages in-process vs the same dispatches through Kafka.

Measured side by side in one run, on Reuters-21578 dispatches from the shared corpus:

1. in-process: ``flow.process`` on every dispatch (parse, clean, enrich, normalise),
   after a warm-up, repeated ``--repeat`` times; per-stage seconds from timed stages;
2. the stage runners alone, no broker: the parse and enrich stages over batches of 64 in a
   thread of this process vs in a stage process of their own (``pipeline.delivery.pool``),
   i.e. what the per-record time limit costs in IPC;
3. through the embedded broker and one real worker process (``wirefeed worker``), once with
   each stage pool (``WIREFEED_STAGE_POOL=process``, the default, and ``thread``): produce
   all dispatches to wire.raw, wait until every one has its outcome;
4. with ``--workers 1 2``: the same through the broker with 1, then 2 worker processes
   (stage processes), and the ratio; with ``--pin K`` each worker and its stage processes
   are held to K cores of their own (worker n: cores n*K .. n*K+K-1), so that 1 vs 2 workers
   is a worker on its own core(s) against two, the way a deployment scales by adding
   machines; the broker and this process run where the kernel puts them.

Every run through the broker also prints the CPU milliseconds per dispatch of each kind of
process (worker, stage processes, broker) and in all: what a dispatch costs whatever the
cores, and so how many dispatches a core gives.

Prints dispatches/s (median of the repeats), the broker/in-process ratio, and peak RSS
of this process (in-process run) and of each worker (its stage processes included). The
profile is ``--profile`` (``WIREFEED_PROFILE``, for this process and the workers). The
machine is shared and noisy: compare medians and ratios, not single figures.

    .venv/bin/python bench/throughput.py [--files reut2-000.sgm] [--limit 1000] [--repeat 3]
        [--profile fast|full] [--pools process thread] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.audit import Reconciler  # noqa: E402
from pipeline.broker import EmbeddedBroker, die_with_parent  # noqa: E402
from pipeline.kafka import ensure_topics, producer, read  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.sources import SourceDispatch, iter_dispatches  # noqa: E402
from pipeline.stages import flow  # noqa: E402
from pipeline.topics import TopicNames  # noqa: E402


def corpus_dir() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")


def timed(name: str, fn: Callable[..., Any], sink: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            sink[name] += time.perf_counter() - start

    return wrapper


def in_process(dispatches: list[SourceDispatch], repeat: int) -> dict[str, Any]:
    names = TopicNames.with_prefix("")
    base = flow.default_stages(Settings.from_env())
    raws = [d.raw() for d in dispatches]
    for raw in raws[:20]:  # warm-up: models, gazetteers, regex caches
        flow.process(raw, base)
    rates, stage_totals = [], []
    outcomes: dict[str, int] = defaultdict(int)
    for _ in range(repeat):
        sink: dict[str, float] = defaultdict(float)
        stages = flow.Stages(
            parse=timed("parse", base.parse, sink),
            clean=timed("clean", base.clean, sink),
            enrich=timed("enrich", base.enrich, sink),
        )
        outcomes.clear()
        start = time.perf_counter()
        for raw in raws:
            for out in flow.process(raw, stages):
                outcomes[names.outcome(out).topic] += 1
        elapsed = time.perf_counter() - start
        rates.append(len(raws) / elapsed)
        sink["normalise+outcome"] = elapsed - sum(sink.values())
        stage_totals.append({k: v / len(raws) * 1000 for k, v in sink.items()})
    per_stage = {k: statistics.median(t[k] for t in stage_totals) for k in stage_totals[0]}
    return {
        "rates": rates,
        "median_rate": statistics.median(rates),
        "ms_per_dispatch_by_stage": per_stage,
        "outcomes": dict(outcomes),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


#: ``--sample``: each worker samples where its threads spend their time (pipeline/observability/sampler.py)
SAMPLE = False


def _print_sample(path: Path, top: int = 14) -> None:
    """The busiest threads of a worker's sampling profile and their busiest functions (inclusive)."""
    if not path.exists():
        print(f"             (no sampling profile at {path})")
        return
    report = json.loads(path.read_text())
    for thread, figures in sorted(report["threads"].items(), key=lambda kv: -kv[1]["cpu_s"])[:3]:
        busy = figures["cpu_s"] or 1.0
        print(f"             worker thread {thread}: {busy:.1f} CPU s in {report['seconds']:.0f} s")
        # the frames under everything (the thread's start, the event loop) say nothing: skipped
        shown = [(w, sec) for w, sec in figures["inclusive"] if sec / busy < 0.6][:top]
        print("               inclusive: " + "; ".join(f"{w} {sec / busy:.0%}" for w, sec in shown))
        print("               self:      " + "; ".join(f"{w} {sec / busy:.0%}" for w, sec in figures["self"][:top]))


def _pinned(cores: set[int] | None) -> Callable[[], None]:
    """preexec_fn: die with this process and, given ``cores``, run only on them (children inherit)."""

    def start() -> None:
        die_with_parent()
        if cores:
            os.sched_setaffinity(0, cores)

    return start


def _cores(pin: int, n: int) -> set[int] | None:
    """Worker n's cores with ``--pin pin`` (None: no pinning)."""
    if not pin:
        return None
    return {(n * pin + k) % (os.cpu_count() or 1) for k in range(pin)}


async def _through_broker(
    dispatches: list[SourceDispatch], workdir: Path, pool: str, workers: int = 1, pin: int = 0
) -> dict[str, Any]:
    pool_name = pool
    pool = f"{pool}-{workers}w" + (f"-pin{pin}" if pin else "")
    with EmbeddedBroker("127.0.0.1:0", log_file=workdir / f"broker-{pool}.log") as broker:
        prefix = f"bench-{pool}."
        names = TopicNames.with_prefix(prefix)
        env = {
            **os.environ,
            "WIREFEED_BROKER": broker.url,
            "WIREFEED_APP_ID": f"wirefeed-bench-{pool}",
            "WIREFEED_STAGE_POOL": pool_name,
            "WIREFEED_TOPIC_PREFIX": prefix,
            "WIREFEED_PARTITIONS": "4",
            "WIREFEED_SESSION_TIMEOUT": "10",
            "WIREFEED_HEARTBEAT_INTERVAL": "1",
            "WIREFEED_REBALANCE_TIMEOUT": "3",
            "WIREFEED_DATA_DIR": str(workdir / f"state-{pool}"),
            "WIREFEED_LOG_LEVEL": "warning",
        }
        await ensure_topics(broker.bootstrap, names.all(), 4)
        procs = []
        for n in range(workers):
            with (workdir / f"worker-{pool}-{n}.log").open("ab") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "pipeline", "worker"],
                        env={
                            **env,
                            "WIREFEED_DATA_DIR": str(workdir / f"state-{pool}-{n}"),
                            **({"WIREFEED_SAMPLE_PROFILE": str(workdir / f"sample-{pool}-{n}.json")} if SAMPLE else {}),
                        },
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        preexec_fn=_pinned(_cores(pin, n)),
                    )
                )
        try:
            # warm-up: dispatches through every partition, so group joins and model loading
            # are not timed (with several workers, until each has its partitions)
            await _produce_and_wait(broker.bootstrap, names, dispatches[: 8 * workers], timeout=600)
            tree = [pid for proc in procs for pid in (proc.pid, *_children(proc.pid))]
            if broker.proc is not None:
                tree.append(broker.proc.pid)
            cpu_before = {pid: _cpu_seconds(pid) for pid in tree}
            start = time.perf_counter()
            count = await _produce_and_wait(broker.bootstrap, names, dispatches, timeout=3600)
            elapsed = time.perf_counter() - start
            # CPU seconds each process spent in the timed run: which one holds the rate back
            cpu = {(_role(pid, procs, broker), pid): _cpu_seconds(pid) - cpu_before[pid] for pid in tree}
            rss = [sum(filter(None, (_peak_rss_mb(pid) for pid in (proc.pid, *_children(proc.pid))))) for proc in procs]
            peaks = {f"{role} {pid}": _peak_rss_mb(pid) for role, pid in cpu}  # before the processes end
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
        if SAMPLE:
            _print_sample(workdir / f"sample-{pool}-0.json")
        by_kind: dict[str, float] = defaultdict(float)
        for (role, _pid), seconds in cpu.items():
            by_kind[role] += seconds
        return {
            "rate": count / elapsed,
            "seconds": elapsed,
            "cpu_ms_per_dispatch": {
                **{role: 1000 * seconds / count for role, seconds in sorted(by_kind.items())},
                "all": 1000 * sum(by_kind.values()) / count,
            },
            "cores": [sorted(c) for c in (_cores(pin, n) for n in range(workers)) if c],
            "cpu": {f"{role} {pid}": round(seconds, 2) for (role, pid), seconds in cpu.items()},
            "peak_rss_mb": peaks,
            "dispatches": count,
            "workers": workers,
            "worker_peak_rss_mb": max(rss),
            "workers_peak_rss_mb": rss,
        }


def _role(pid: int, workers: list[subprocess.Popen[bytes]], broker: EmbeddedBroker) -> str:
    if broker.proc is not None and pid == broker.proc.pid:
        return "broker"
    return "worker" if any(pid == p.pid for p in workers) else "stage process"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The worker's child processes (its stage processes)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def runners(dispatches: list[SourceDispatch], repeat: int) -> dict[str, Any]:
    """Both stages over batches of 64, in a thread vs in a stage process (no broker)."""
    from pipeline.delivery.pool import ProcessRunner, ThreadRunner
    from pipeline.records import Provenance, RawDispatch
    from pipeline.work import make_work, run_batch

    settings = Settings.from_env()
    raws = [
        RawDispatch(d.value, d.headers(), provenance=Provenance("wire.raw", 0, n)) for n, d in enumerate(dispatches)
    ]
    parse = make_work("parse-clean", settings)
    internal = [
        RawDispatch(outcome.value, provenance=Provenance("wire.cleaned", 0, n))
        for n, outcomes in enumerate(run_batch(parse, raws))
        for outcome in outcomes
        if outcome.topic == "wire.parsed"
    ]
    batches = {"parse-clean": raws, "enrich-emit": internal}

    async def measure(make: Callable[[str], Any]) -> dict[str, float]:
        rates = {}
        for kind, records in batches.items():
            runner = make(kind)
            await runner.start()
            await runner.run(records[:64])  # warm
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                for i in range(0, len(records), 64):
                    await runner.run(records[i : i + 64])
                times.append(time.perf_counter() - start)
            runner.close()
            rates[kind] = len(records) / statistics.median(times)
        return rates

    thread = asyncio.run(measure(lambda kind: ThreadRunner(kind, settings)))
    process = asyncio.run(measure(lambda kind: ProcessRunner(kind, settings, time_limit=600)))
    return {"thread": thread, "process": process, "records": {k: len(v) for k, v in batches.items()}}


async def _produce_and_wait(bootstrap: str, names: TopicNames, dispatches: list[SourceDispatch], timeout: float) -> int:
    async with producer(bootstrap) as prod:
        futures = [await prod.send(names.raw, d.value, headers=list(d.headers())) for d in dispatches]
        coords = {(md.partition, md.offset) for md in await asyncio.gather(*futures)}
    reconciler = Reconciler(names.raw, names.articles)
    pending = set(coords)
    deadline = time.monotonic() + timeout
    records = read(bootstrap, names.outcomes(), follow=True, idle_timeout=0.2)
    async for record in records:
        coord = reconciler.add(record)
        if coord in pending and reconciler.is_accounted(coord):
            pending.discard(coord)
        if not pending or time.monotonic() > deadline:
            break
    await records.aclose()
    if pending:
        raise RuntimeError(f"{len(pending)} dispatches without an outcome after {timeout} s")
    return len(coords)


def _print_costs(kafka: dict[str, Any]) -> None:
    print(
        "             CPU seconds in the run: "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in kafka["cpu"].items())
    )
    print(
        "             CPU ms per dispatch: "
        + ", ".join(f"{role} {ms:.2f}" for role, ms in kafka["cpu_ms_per_dispatch"].items())
        + (f"; cores per worker: {kafka['cores']}" if kafka["cores"] else "")
    )
    peaks = kafka["peak_rss_mb"].items()
    print("             peak RSS MB: " + ", ".join(f"{name} {mb or 0:.0f}" for name, mb in peaks))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--files", nargs="+", default=["reut2-000.sgm"], help="Reuters-21578 files (default reut2-000.sgm)"
    )
    parser.add_argument("--limit", type=int, default=1000, help="at most this many dispatches (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="in-process repeats (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--profile", choices=["fast", "full"], help="WIREFEED_PROFILE for every run")
    parser.add_argument("--pools", nargs="+", default=["process", "thread"], choices=["process", "thread"])
    parser.add_argument("--workers", nargs="+", type=int, default=[], help="also through the broker with N workers")
    parser.add_argument("--no-runners", action="store_true", help="skip the stage runners without a broker")
    parser.add_argument(
        "--pin",
        type=int,
        default=0,
        metavar="K",
        help="with --workers: hold each worker (and its stage processes) to K cores of its own",
    )
    parser.add_argument(
        "--sample", action="store_true", help="print where the worker's threads spend their time (sampling profile)"
    )
    args = parser.parse_args()
    global SAMPLE
    SAMPLE = args.sample
    if args.profile:
        os.environ["WIREFEED_PROFILE"] = args.profile

    reuters = corpus_dir() / "reuters21578"
    if not reuters.is_dir():
        print(f"corpus not found at {reuters} (set WIREFEED_CORPUS)", file=sys.stderr)
        return 2
    dispatches = list(iter_dispatches([str(reuters / f) for f in args.files]))[: args.limit]
    size_mb = sum(len(d.value) for d in dispatches) / 1e6
    sources = ", ".join(args.files)
    load = os.getloadavg()
    print(
        f"{len(dispatches)} Reuters-21578 dispatches ({size_mb:.1f} MB) from {sources}; {os.cpu_count()} cores; "
        f"profile {Settings.from_env().profile}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )

    local = in_process(dispatches, args.repeat)
    runs = ", ".join(f"{r:.1f}" for r in local["rates"])
    print(f"in-process : {local['median_rate']:8.1f} dispatches/s  (runs: {runs})")
    print(
        "             ms per dispatch: "
        + ", ".join(f"{k} {v:.2f}" for k, v in local["ms_per_dispatch_by_stage"].items())
    )
    print(f"             outcomes {local['outcomes']}; peak RSS {local['peak_rss_mb']:.0f} MB")

    pools = {} if args.no_runners else runners(dispatches, args.repeat)
    for kind in ("parse-clean", "enrich-emit") if pools else ():
        thread, process = pools["thread"][kind], pools["process"][kind]
        overhead = (1 / process - 1 / thread) * 1000 * 64
        print(
            f"{kind:<11}: thread {thread:8.1f} records/s, stage process {process:8.1f} records/s "
            f"(ratio {process / thread:.2f}; {overhead:+.0f} ms per batch of 64)"
        )

    broker: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="wirefeed-bench-") as tmp:
        for pool in args.pools:
            broker[pool] = kafka = asyncio.run(_through_broker(dispatches, Path(tmp), pool))
            print(
                f"via broker : {kafka['rate']:8.1f} dispatches/s  ({kafka['dispatches']} in {kafka['seconds']:.1f} s, "
                f"embedded broker + 1 worker, stages in a {pool}; worker peak RSS incl. stage processes "
                f"{kafka['worker_peak_rss_mb'] or 0:.0f} MB)"
            )
            _print_costs(kafka)
        scaling: dict[int, Any] = {}
        for count in args.workers:
            scaling[count] = kafka = (
                broker["process"]
                if count == 1 and "process" in broker and not args.pin
                else asyncio.run(_through_broker(dispatches, Path(tmp), "process", count, args.pin))
            )
            print(
                f"{count} worker(s): {kafka['rate']:8.1f} dispatches/s  ({kafka['dispatches']} in "
                f"{kafka['seconds']:.1f} s; peak RSS per worker incl. stage processes "
                f"{', '.join(f'{r:.0f}' for r in kafka['workers_peak_rss_mb'])} MB)"
            )
            _print_costs(kafka)
    first = broker[args.pools[0]]
    ratio = first["rate"] / local["median_rate"]
    line = f"ratio      : broker ({args.pools[0]})/in-process = {ratio:.2f}"
    if "process" in broker and "thread" in broker:
        line += f"; stage process/thread via broker = {broker['process']['rate'] / broker['thread']['rate']:.2f}"
    if 1 in scaling and len(scaling) > 1:
        ratios = (f"{n} workers/1 = {scaling[n]['rate'] / scaling[1]['rate']:.2f}" for n in scaling if n != 1)
        line += "; " + ", ".join(ratios)
        # what a dispatch costs with N workers against one: 1.00 means adding workers adds no work
        costs = (
            f"{n} workers {scaling[n]['cpu_ms_per_dispatch']['all'] / scaling[1]['cpu_ms_per_dispatch']['all']:.2f}"
            for n in scaling
            if n != 1
        )
        line += "; CPU per dispatch against 1 worker: " + ", ".join(costs)
    print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {"in_process": local, "runners": pools, "broker": broker, "ratio": ratio, "workers": scaling}
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
