"""``wirefeed chaos``: one chaos run from start to verdict.

broker (embedded unless WIREFEED_BROKER) -> fresh app id + topic prefix
-> K workers -> ingest the generated dispatches (all at once, or --rate N/s)
-> once --fault-after of the inputs have an outcome: faults in rotation, one every
   --fault-interval seconds (a frozen worker is thawed after the session timeout + 5 s)
-> wait until every input has its outcome (or nothing moves for --stall seconds,
   or --timeout): on a stall every worker is asked for its stacks (SIGUSR1)
-> stop the workers -> verify with our own consumer -> ``wirefeed audit``
-> figures; exit 0 only when nothing was lost and nothing was violated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.chaos.feeds import ChaosDispatch, Mix, generate
from pipeline.chaos.fleet import FAULTS, Fleet, Worker, worker_env
from pipeline.chaos.trace import trace_lost
from pipeline.chaos.verify import CommitWatch, Follower, Sent, read_all, verify
from pipeline.settings import PREFIX, Settings
from pipeline.topics import TopicNames

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: consumer-group timings for the embedded broker, unless the environment sets them
EMBEDDED_TIMINGS = {"session_timeout": 10.0, "heartbeat_interval": 1.0, "rebalance_timeout": 3.0}
#: the spaCy setting that leaves statistical NER out (the rest of enrichment runs)
LEAN_SPACY = "none"


@dataclass
class Options:
    dispatches: int = 5000
    workers: int = 2
    seed: int = 1
    faults: tuple[str, ...] = FAULTS
    fault_after: float = 0.2
    fault_until: float = 0.9
    fault_interval: float = 12.0
    max_faults: int = 10
    poison: int = 40
    oversized: int = 3
    oversize_bytes: int | None = None
    reuters: int = 0
    corpus: Path | None = None
    rate: float | None = 40.0
    partitions: int = 4
    enrichment: str = "lean"
    timeout: float = 540.0
    stall: float = 120.0
    data_dir: Path = Path(".wirefeed/chaos")
    json_out: Path | None = None
    results: Path | None = None
    log_level: str = "info"
    label: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)


#: names the record size limit setting may have (the first that Settings has is used)
_SIZE_LIMIT_NAMES = ("max_record_bytes", "max_message_bytes", "record_size_limit", "size_limit", "max_bytes")


def size_limit_setting() -> str | None:
    """The name of the pipeline's record size limit setting, when it has one."""
    fields = Settings.__dataclass_fields__
    return next((name for name in _SIZE_LIMIT_NAMES if name in fields), None)


def size_limit(settings: Settings) -> int:
    """The record size limit the pipeline promises (its setting, once it has one), in bytes.

    Until a limit is configurable, the effective one is the worker producer's: Faust's
    default ``max_request_size`` of 1,000,000 bytes.
    """
    name = size_limit_setting()
    value = getattr(settings, name) if name else None
    return value if isinstance(value, int) and value > 0 else 1_000_000


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _git_commit() -> str | None:
    """The commit under test: HEAD, and the newest main commit it contains when it is not main."""

    def git(*args: str) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    base = git("merge-base", "HEAD", "main") if head else ""
    base = git("rev-parse", "--short", base) if base else ""
    if not head:
        return None
    return head if not base or base == head else f"{head} (on main {base})"


async def _ingest(
    bootstrap: str,
    names: TopicNames,
    settings: Settings,
    dispatches: list[ChaosDispatch],
    rate: float | None,
    on_sent: Callable[[list[Sent]], None],
) -> tuple[list[Sent], float]:
    """Produce the dispatches, in chunks (about half a second's worth at ``rate``).

    Most go through wirefeed's own ingest path (same keys and headers as ``wirefeed
    ingest``, which may refuse a record over the size limit). Oversized ones go one by one,
    every other one *directly* to wire.raw with a plain producer, as a feed that does not use
    ``wirefeed ingest`` would send it: the worker must then dead-letter it itself.
    ``on_sent`` hears of every chunk.
    """
    from aiokafka import AIOKafkaProducer

    from pipeline.ingest import produce_dispatches

    takes_refused = "refused" in inspect.signature(produce_dispatches).parameters
    sent: list[Sent] = []
    started = time.monotonic()
    size = max(1, int(rate / 2)) if rate else 250
    chunk: list[ChaosDispatch] = []

    async def produce(items: list[ChaosDispatch]) -> list[Sent]:
        refused: list[tuple[str, int]] = []
        extra: dict[str, Any] = {"refused": refused} if takes_refused else {}
        coords = await produce_dispatches(
            bootstrap, names, settings, items, source=None, agency=None, rate=None, progress=None, **extra
        )
        refused_inputs = {name for name, _ in refused}
        accepted = [d for d in items if d.input not in refused_inputs]
        if len(accepted) != len(coords):
            raise RuntimeError(f"ingest returned {len(coords)} coordinates for {len(accepted)} dispatches")
        out = [Sent(d, (int(c[0]), int(c[1]))) for d, c in zip(accepted, coords, strict=True)]
        out += [
            Sent(d, None, refused=f"refused by ingest ({len(d.value):,} B)") for d in items if d.input in refused_inputs
        ]
        return out

    async def direct(dispatch: ChaosDispatch) -> Sent:
        prod = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=len(dispatch.value) + 2**20)
        await prod.start()
        try:
            metadata = await (await prod.send(names.raw, dispatch.value, headers=list(dispatch.headers())))
        finally:
            await prod.stop()
        return Sent(dispatch, (metadata.partition, metadata.offset), via="direct")

    async def flush() -> None:
        if not chunk:
            return
        done = await produce(chunk)
        sent.extend(done)
        on_sent(done)
        chunk.clear()
        if rate:  # keep to the rate: the next chunk waits until its time
            await asyncio.sleep(max(started + len(sent) / rate - time.monotonic(), 0))

    oversized = 0
    for dispatch in dispatches:
        if dispatch.kind == "oversized":
            await flush()
            oversized += 1
            try:
                one = [await direct(dispatch)] if oversized % 2 == 0 else await produce([dispatch])
            except Exception as exc:  # refused (by ingest or the broker): counted, checked by the verifier
                via = "direct" if oversized % 2 == 0 else "ingest"
                one = [Sent(dispatch, None, refused=f"{type(exc).__name__}: {exc}"[:300], via=via)]
            sent.extend(one)
            on_sent(one)
            continue
        chunk.append(dispatch)
        if len(chunk) >= size:
            await flush()
    await flush()
    return sent, time.monotonic() - started


class FaultPlan:
    """Faults in rotation: one every ``interval`` seconds once progress passes ``after``,
    each only once the pipeline has made progress again since the previous one."""

    #: share of the inputs that must get their outcome between two faults
    RECOVERED = 0.02

    def __init__(self, fleet: Fleet, opts: Options, freeze_for: float, max_workers: int) -> None:
        self.fleet, self.opts = fleet, opts
        self.freeze_for = freeze_for
        self.max_workers = max_workers
        self.rotation = list(opts.faults)
        self.index = 0
        self.applied = 0
        self.last = -1e9
        self.progress_at_last = -1.0
        self.frozen: list[tuple[Worker, float]] = []  # (worker, thaw at)

    def due(self, progress: float) -> bool:
        return (
            bool(self.rotation)
            and self.applied < self.opts.max_faults
            and self.opts.fault_after <= progress < self.opts.fault_until
            and not self.frozen
            and self.fleet.now() - self.last >= self.opts.fault_interval
            # the pipeline got going again after the previous fault: faults that pile up on a
            # pipeline still rebalancing would measure the rebalance timeout, not recovery
            and progress - self.progress_at_last >= self.RECOVERED
        )

    def tick(self, progress: float) -> None:
        for worker in self.fleet.reap():
            _say(f"  worker {worker.name} (pid {worker.pid}) exited on its own with {worker.exit_code}; replaced")
        now = self.fleet.now()
        for worker, at in list(self.frozen):
            if now >= at:
                self.fleet.thaw(worker)
                self.frozen.remove((worker, at))
        if not self.due(progress):
            return
        # the next fault in the rotation that the fleet can take now
        for _ in range(len(self.rotation)):
            kind = self.rotation[self.index % len(self.rotation)]
            self.index += 1
            if self._apply(kind, progress):
                self.applied += 1
                self.last = self.fleet.now()
                self.progress_at_last = progress
                fault = self.fleet.faults[-1]
                _say(f"  fault at {fault.at:6.1f} s ({progress:5.1%} done): {kind} {fault.worker} {fault.detail}")
                return

    def _apply(self, kind: str, progress: float) -> bool:
        live = [w for w in self.fleet.live() if not w.frozen]
        victim = self.fleet.victim(self.index)
        if kind == "kill" and victim is not None:
            self.fleet.kill(victim, progress)
            return True
        if kind == "term" and victim is not None:
            self.fleet.term(victim, progress)
            return True
        if kind == "stop" and victim is not None and len(live) >= 2:
            self.fleet.freeze(victim, self.freeze_for, progress)
            self.frozen.append((victim, self.fleet.now() + self.freeze_for))
            return True
        if kind == "scale-out" and len(self.fleet.live()) < self.max_workers:
            self.fleet.scale_out(progress)
            return True
        if kind == "scale-in" and victim is not None and len(live) >= 2:
            self.fleet.scale_in(victim, progress)
            return True
        return False


async def chaos(opts: Options, settings: Settings) -> dict[str, Any]:
    """One run; returns the report (``report["ok"]`` says whether it passed)."""
    from pipeline.broker import EmbeddedBroker
    from pipeline.kafka import ensure_topics

    run_id = f"chaos-{time.strftime('%Y%m%d-%H%M%S')}-s{opts.seed}-{secrets.token_hex(2)}"
    run_dir = (opts.data_dir / run_id).resolve()
    log_dir = run_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    names = TopicNames.with_prefix(run_id + ".")
    report: dict[str, Any] = {
        "run": run_id,
        "commit": opts.label or _git_commit(),
        "options": _jsonable(asdict(opts)),
    }
    broker: EmbeddedBroker | None = None
    fleet: Fleet | None = None
    follower: Follower | None = None
    commits: CommitWatch | None = None
    t_start = time.monotonic()
    try:
        timings: dict[str, Any] = {}
        if settings.broker is None:
            broker = EmbeddedBroker(settings.embedded_listen, log_file=log_dir / "broker.log").start()
            broker_url = broker.url
            timings = {k: v for k, v in EMBEDDED_TIMINGS.items() if PREFIX + k.upper() not in os.environ}
        else:
            broker_url = settings.broker
        run_settings = replace(
            settings,
            **timings,
            broker=broker_url,
            app_id=run_id,
            topic_prefix=names.raw.removesuffix("wire.raw"),
            partitions=opts.partitions,
            data_dir=run_dir / "data",
        )
        bootstrap = run_settings.bootstrap_servers
        limit = opts.oversize_bytes or int(size_limit(run_settings) * 1.2)
        mix = Mix(opts.dispatches, opts.poison, opts.oversized, limit, opts.reuters, opts.seed)
        dispatches = generate(mix, opts.corpus)
        freeze_for = run_settings.session_timeout + 5.0
        _say(f"chaos run {run_id}: broker {broker_url}, data and logs in {run_dir}")
        _say(
            f"  {len(dispatches)} dispatches (poison {opts.poison}, oversized {opts.oversized} of {limit:,} B, "
            f"Reuters-21578 {opts.reuters}), {opts.workers} workers, {opts.partitions} partitions, "
            f"enrichment {opts.enrichment}, faults {','.join(opts.faults) or 'none'} every {opts.fault_interval:.0f} s "
            f"from {opts.fault_after:.0%}"
        )
        # the topics as wirefeed creates them (per-topic settings), before any worker or consumer
        from pipeline.topics import topic_configs

        await ensure_topics(
            bootstrap, names.all(), opts.partitions, run_settings.replication, configs=topic_configs(run_settings)
        )
        env = worker_env(
            os.environ,  # every other WIREFEED_* setting the caller gave applies to the workers too
            broker=broker_url,
            app_id=run_id,
            topic_prefix=run_settings.topic_prefix,
            partitions=opts.partitions,
            session_timeout=run_settings.session_timeout,
            heartbeat_interval=run_settings.heartbeat_interval,
            rebalance_timeout=run_settings.rebalance_timeout,
            data_dir=run_dir / "data",
            log_level=opts.log_level,
            spacy_models=LEAN_SPACY if opts.enrichment == "lean" else None,
        )
        env.update(opts.extra_env)
        fleet = Fleet(env, log_dir, cwd=ROOT)
        fleet.start_many(opts.workers)
        follower = Follower(bootstrap, names, total=len(dispatches))
        follower.start()
        commits = CommitWatch(bootstrap, run_id, (names.raw, names.parsed, names.cleaned), names, t0=fleet.t0)
        commits.start()
        ingest = asyncio.create_task(
            _ingest(bootstrap, names, run_settings, dispatches, opts.rate, follower.sent), name="chaos-ingest"
        )
        sent: list[Sent] = []
        ingest_s = 0.0
        t_ingested: float | None = None

        plan = FaultPlan(fleet, opts, freeze_for, max_workers=opts.partitions)
        outcome = "drained"
        last_line = 0.0
        deadline = time.monotonic() + opts.timeout
        while True:
            await asyncio.sleep(0.5)
            if follower.failed() is not None:
                raise RuntimeError(f"the progress consumer failed: {follower.failed()!r}")
            if t_ingested is None and ingest.done():
                sent, ingest_s = ingest.result()  # raises what stopped the ingest
                t_ingested = fleet.now()
                refused = sum(1 for s in sent if s.coord is None)
                _say(f"  ingested {len(sent)} dispatches in {ingest_s:.1f} s ({refused} refused)")
            progress = follower.progress
            # a fault may wait for a worker to exit (up to a minute): ingest and progress go on meanwhile
            await asyncio.to_thread(plan.tick, progress)
            if t_ingested is not None and follower.done():
                break
            now = time.monotonic()
            if now - last_line > 15:
                last_line = now
                live = ", ".join(f"{w.name}{'(stopped)' if w.frozen else ''}" for w in fleet.live())
                _say(f"  {fleet.now():6.1f} s: {len(follower.accounted)}/{follower.total} ({progress:.1%}) [{live}]")
            if now > deadline:
                outcome = "timed out"
                break
            if t_ingested is not None and now - follower.last_progress > opts.stall and not plan.frozen:
                outcome = f"stalled: no input got its outcome for {opts.stall:.0f} s"
                break
        if t_ingested is None:  # timed out while still ingesting
            ingest.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ingest
            sent = follower.sent_so_far
            t_ingested = fleet.now()
        t_end = fleet.now()
        if outcome != "drained":
            _say(f"  {outcome} at {t_end:.1f} s with {len(follower.wanted - follower.accounted)} inputs unaccounted")
            fleet.dump_stacks()  # every live worker logs its tasks' and threads' stacks
            await asyncio.sleep(3)
        await follower.stop()
        await commits.stop()
        last_fault = max((f.at for f in fleet.faults), default=t_ingested)
        fleet.stop_all()

        records = await read_all(bootstrap, names.outcomes())
        sent_coords = sorted(s.coord for s in sent if s.coord is not None)
        verdict = verify(sent, records, names)
        # where each lost input stopped, hop by hop, against the final commits (a diagnosis)
        lost_trace = await trace_lost(
            bootstrap, run_id, names, [(p, o) for p, o in verdict.figures.get("lost_coords", ())]
        )
        audit = _audit(env)
        violations = list(verdict.violations)
        if outcome != "drained":
            violations.insert(0, outcome)
            if outcome == "timed out":  # still moving at the deadline: unfinished, not necessarily lost
                still = time.monotonic() - follower.last_progress
                violations.insert(1, f"the last input got its outcome {still:.0f} s before the deadline")
        if audit.get("missing") != 0:
            violations.append(
                f"wirefeed audit: missing {audit.get('missing')} (examples {audit.get('missing_examples')})"
            )
        if audit.get("raw") is not None and audit.get("raw") != len(sent_coords):
            violations.append(f"wirefeed audit counts {audit.get('raw')} raw records, we sent {len(sent_coords)}")
        if audit.get("accounted") is not None and audit.get("accounted") != verdict.figures["accounted"]:
            violations.append(
                f"wirefeed audit says {audit.get('accounted')} accounted, the verifier {verdict.figures['accounted']}"
            )
        workers = fleet.log_report()
        crashes = sum(int(w["agent_crashes"]) for w in workers)  # type: ignore[call-overload]
        if crashes:
            violations.append(f"{crashes} agent crashes in the worker logs")
        died = [f"{w['worker']} ({w['how']})" for w in workers if "on its own" in str(w["how"] or "")]
        if died:
            violations.append(f"workers that exited on their own: {died}")
        hung = [w["worker"] for w in workers if "no exit" in str(w["how"] or "")]
        if hung:
            violations.append(f"workers that did not exit within 60 s of SIGTERM: {hung}")
        report.update(
            {
                "ok": not violations,
                "outcome": outcome,
                "violations": violations,
                "figures": {
                    **verdict.figures,
                    "ingest_s": round(ingest_s, 1),
                    "ingested_at_s": round(t_ingested, 1),
                    "drained_at_s": round(t_end, 1) if outcome == "drained" else None,
                    "drain_after_ingest_s": round(t_end - t_ingested, 1) if outcome == "drained" else None,
                    "drain_after_last_fault_s": (
                        round(t_end - last_fault, 1) if outcome == "drained" and fleet.faults else None
                    ),
                    "throughput_per_s": round(len(sent_coords) / max(t_end - fleet.workers[0].started, 1e-6), 1),
                    "agent_crashes": crashes,
                    "tracebacks": sum(int(w["tracebacks"]) for w in workers),  # type: ignore[call-overload]
                    "rereads_logged": sum(int(w["rereads"]) for w in workers),  # type: ignore[call-overload]
                    "worker_processes": len(workers),
                    "restarts_per_slot": _restarts(fleet),
                    "commits": commits.figures(),
                    "lost_trace": lost_trace,
                },
                "faults": [asdict(f) for f in fleet.faults],
                "workers": workers,
                "audit": audit,
                "took_s": round(time.monotonic() - t_start, 1),
            }
        )
        return report
    finally:
        if follower is not None:
            with contextlib.suppress(Exception):
                await follower.stop()
        if commits is not None:
            await commits.stop()
        if fleet is not None:
            fleet.stop_all(timeout=20)
        if broker is not None:
            broker.stop()


def _restarts(fleet: Fleet) -> dict[str, int]:
    out: dict[str, int] = {}
    for worker in fleet.workers:
        out[f"slot{worker.slot}"] = max(out.get(f"slot{worker.slot}", 0), worker.restart)
    return out


def _audit(env: dict[str, str]) -> dict[str, Any]:
    """``wirefeed audit`` as a user runs it, against this run's topics."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "audit"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    try:
        summary: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"error": f"exit {proc.returncode}: {proc.stdout[-500:]} {proc.stderr[-1000:]}"}
    summary["exit_code"] = proc.returncode
    return summary


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def render(report: dict[str, Any]) -> str:
    """The human summary printed at the end of a run."""
    f = report.get("figures", {})
    lines = [
        f"chaos run {report['run']} (main {report.get('commit')}): {'PASS' if report.get('ok') else 'FAIL'}"
        f" -- {report.get('outcome')}, {report.get('took_s')} s in all",
        f"  inputs {f.get('inputs')}: sent {f.get('sent_to_raw')}, refused at ingest {f.get('refused_at_ingest')}; "
        f"accounted {f.get('accounted')}, LOST {f.get('lost')}, unexpected {f.get('unexpected')}",
        f"  outcome records {f.get('outcome_records')} (articles {f.get('articles_records')}, dead letters "
        f"{f.get('deadletter_records')}); duplicates {f.get('duplicates')} "
        f"(not twins: {f.get('duplicates_not_twins')}; each after its first copy by {f.get('redelivery_delay_s')} s)",
        f"  stories with versions {f.get('stories_with_versions')}: order violations {f.get('order_violations')}, "
        f"split over partitions {f.get('stories_split_over_partitions')}, stale redeliveries "
        f"{f.get('stale_redeliveries')}",
        f"  ingest {f.get('ingest_s')} s; drained {f.get('drain_after_ingest_s')} s after the ingest, "
        f"{f.get('drain_after_last_fault_s')} s after the last fault; {f.get('throughput_per_s')} dispatches/s",
        f"  worker processes {f.get('worker_processes')}, restarts per slot {f.get('restarts_per_slot')}; "
        f"agent crashes {f.get('agent_crashes')}, tracebacks {f.get('tracebacks')}, re-reads logged "
        f"{f.get('rereads_logged')}",
        f"  commits: {f.get('commits')}",
        f"  outcomes by kind {f.get('outcomes_by_kind')}; oversized {f.get('oversized')}",
        f"  dead letters by reason {f.get('deadletters_by_reason')}",
    ]
    audit = report.get("audit", {})
    lines.append(
        f"  wirefeed audit: raw {audit.get('raw')}, accounted {audit.get('accounted')}, "
        f"missing {audit.get('missing')}, duplicates {audit.get('duplicates')}, exit {audit.get('exit_code')}"
    )
    lines.append("  faults:")
    for fault in report.get("faults", []):
        lines.append(
            f"    {fault['at']:7.1f} s {fault['kind']:<9} {fault['worker']:<9} pid {fault['pid']:<7} "
            f"at {fault['progress']:.1%} {fault['detail']}"
        )
    lines.append("  workers:")
    for w in report.get("workers", []):
        lines.append(
            f"    {w['worker']:<9} pid {w['pid']:<7} {w['started_s']:>6} s -> {w['stopped_s']} s ({w['how']}, exit "
            f"{w['exit_code']}): crashes {w['agent_crashes']}, tracebacks {w['tracebacks']}, re-reads {w['rereads']}"
        )
        for line in w["crash_lines"][:2]:
            lines.append(f"        {line[:200]}")
    if f.get("lost_examples"):
        lines.append(f"  lost by partition {f.get('lost_by_partition')}, by kind {f.get('lost_by_kind')}")
        lines.extend(f"    lost: {x}" for x in f["lost_examples"][:10])
        lines.extend(f"    trace: {x}" for x in f.get("lost_trace") or ())
    for violation in report.get("violations", []):
        lines.append(f"  VIOLATION {violation}")
    return "\n".join(lines)


def main(args: argparse.Namespace, settings: Settings) -> int:
    """``wirefeed chaos``: run, print the figures, write --json-out / --results; exit 1 on any violation."""
    opts = Options(
        dispatches=args.dispatches,
        workers=args.workers,
        seed=args.seed,
        faults=tuple(f for f in args.faults.split(",") if f) if args.faults != "none" else (),
        fault_after=args.fault_after,
        fault_interval=args.fault_interval,
        max_faults=args.max_faults,
        poison=args.poison,
        oversized=args.oversized,
        oversize_bytes=args.oversize_bytes,
        reuters=args.reuters,
        corpus=Path(args.corpus) if args.corpus else _default_corpus(),
        rate=args.rate or None,
        partitions=args.partitions,
        enrichment=args.enrichment,
        timeout=args.timeout,
        stall=args.stall,
        data_dir=Path(args.data_dir) if args.data_dir else settings.data_dir / "chaos",
        json_out=Path(args.json_out) if args.json_out else None,
        results=Path(args.results) if args.results else None,
        label=args.label,
    )
    unknown = [f for f in opts.faults if f not in FAULTS]
    if unknown:
        print(f"wirefeed chaos: unknown faults {unknown} (choose from {', '.join(FAULTS)})", file=sys.stderr)
        return 2
    report = asyncio.run(chaos(opts, settings))
    _say(render(report))
    text = json.dumps(report, indent=2, default=str)
    if opts.json_out:
        opts.json_out.parent.mkdir(parents=True, exist_ok=True)
        opts.json_out.write_text(text)
    if opts.results:
        opts.results.parent.mkdir(parents=True, exist_ok=True)
        summary = {k: report.get(k) for k in ("run", "commit", "ok", "outcome", "took_s")}
        summary["figures"] = {k: v for k, v in report.get("figures", {}).items() if not isinstance(v, (list, dict))}
        summary["faults"] = [f"{f['at']:.0f}s:{f['kind']}" for f in report.get("faults", [])]
        summary["violations"] = report.get("violations", [])[:10]
        with opts.results.open("a") as out:
            out.write(json.dumps(summary, default=str) + "\n")
    return 0 if report.get("ok") else 1


def _default_corpus() -> Path:
    root = Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus")
    return root / "reuters21578"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dispatches", type=int, default=5000, help="inputs in all (default 5000)")
    p.add_argument("--workers", type=int, default=2, help="worker processes at the start (default 2)")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated dispatches and the fault rotation")
    p.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help=f"faults in rotation, comma-separated, or 'none' (default {','.join(FAULTS)})",
    )
    p.add_argument("--fault-after", type=float, default=0.2, help="share of inputs done before the first fault")
    p.add_argument(
        "--fault-interval",
        type=float,
        default=12.0,
        help="at least N seconds between faults, and 2%% of the inputs done in between (default 12)",
    )
    p.add_argument("--max-faults", type=int, default=10, help="at most this many faults (default 10)")
    p.add_argument("--poison", type=int, default=40, help="poison records among the inputs (default 40)")
    p.add_argument("--oversized", type=int, default=3, help="records over the size limit (default 3)")
    p.add_argument("--oversize-bytes", type=int, default=None, help="their size (default 1.2 x the size limit)")
    p.add_argument("--reuters", type=int, default=0, help="real Reuters-21578 dispatches mixed in from the corpus")
    p.add_argument("--corpus", default=None, help="the reuters21578 folder (default ../shared/corpus/reuters21578)")
    p.add_argument(
        "--rate",
        type=float,
        default=40.0,
        help="ingest N dispatches/s, a live feed (default 40; 0: everything at once, a backlog)",
    )
    p.add_argument("--partitions", type=int, default=4, help="partitions of the run's topics (default 4)")
    p.add_argument(
        "--enrichment",
        choices=["lean", "full"],
        default="lean",
        help="lean: no statistical NER model (WIREFEED_SPACY_MODELS=none), about twice as fast; full: as configured",
    )
    p.add_argument("--timeout", type=float, default=540.0, help="give up waiting for the outcomes after N s")
    p.add_argument("--stall", type=float, default=120.0, help="give up when no input got its outcome for N s")
    p.add_argument("--data-dir", default=None, help="where runs keep logs and state (default .wirefeed/chaos)")
    p.add_argument("--json-out", default=None, metavar="FILE", help="write the whole report as JSON")
    p.add_argument("--results", default=None, metavar="FILE", help="append a one-line summary (JSON) to FILE")
    p.add_argument("--label", default=None, help="what the run tests, for the report (default: the git commit)")
