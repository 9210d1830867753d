"""The agents: wiring only. Each reads a batch, runs its stage, publishes, and is done.

    wire.raw ─parse-clean─▶ wire.parsed ─learn-boilerplate─▶ wire.cleaned ─enrich-emit─▶ wire.articles
                 │          (key: shard)   (table: line keys)   (key: story id)   │
                 └───────────────────────────▶ wire.deadletter ◀──────────────────┘

The delivery guarantees live in ``pipeline.delivery``: records are taken in offset
order per partition, a batch counts as done only when every outcome is acknowledged by
the broker, and offsets are committed only as far as records are done (the ledger),
whatever Faust acks. What each stage does is ``pipeline.work``; parse-clean and
enrich-emit run it in a process of their own (``pipeline.delivery.pool``: a record that
hangs or crashes it is abandoned, not the worker), learn-boilerplate on the event loop,
which owns its table.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
import sys
import traceback
from collections.abc import Callable

import faust

from pipeline.delivery import health
from pipeline.delivery.breaker import Breaker, alert_record
from pipeline.delivery.consumer import ledger_consumer
from pipeline.delivery.hop import Guard, Reader, serve
from pipeline.delivery.pool import runner
from pipeline.delivery.publish import Publisher, faust_send
from pipeline.observability import observer
from pipeline.records import CleanedDispatch, DeadLetter, Outcome, RawDispatch
from pipeline.routed import RoutedTopics
from pipeline.settings import Settings
from pipeline.stages import boilerplate, flow
from pipeline.tables import ClusterReplica, FingerprintReplica, boilerplate_table, story_table
from pipeline.topics import Topics
from pipeline.work import Context, cluster_batch, judge_batch

log = logging.getLogger(__name__)


def wire(app: faust.App, topics: Topics, settings: Settings) -> None:
    """Register the three agents (and the warm-up task) on ``app``."""
    ctx = Context(settings)
    names = topics.names
    consumer = ledger_consumer(app)
    consumer.failpoints = ctx.faults
    consumer.fetch_max_wait_ms = settings.fetch_max_wait_ms
    publisher = Publisher(faust_send(app), names, budget=settings.publish_budget, faults=ctx.faults)
    parse = runner("parse-clean", settings)
    enrich = runner("enrich-emit", settings)
    learner = boilerplate.Learner(boilerplate.LearnerConfig.from_settings(settings))
    breakers = {
        name: Breaker.from_settings(name, settings) for name in ("parse-clean", "learn-boilerplate", "enrich-emit")
    }
    stage_of = {names.raw: "parse-clean", names.parsed: "learn-boilerplate", names.cleaned: "enrich-emit"}
    obs = observer()  # metrics, probes (pipeline/observability): a line per agent below
    obs.attach(app, settings, consumer, breakers, stage_of)
    routed_topics = RoutedTopics(settings)
    obs.watch_sources(app, topics.sources, settings, publisher, names.alerts)  # idle-feed alerts

    async def alert(kind: str, tripped: Breaker, record: RawDispatch) -> None:
        outcome = alert_record(names.alerts, kind, tripped, record)
        try:
            await publisher.publish([outcome])
        except Exception:  # the log line is the alert then
            log.exception("could not publish the %s alert", kind)

    def guard(name: str, restart: Callable[[], None] = lambda: None) -> Guard:
        return Guard(breakers[name], alert, restart)

    def reader(stream: faust.StreamT) -> Reader:
        return Reader(app, stream, consumer, batch_max=settings.batch_max, batch_within=settings.batch_within)

    def run_learn(records: list[RawDispatch]) -> list[list[Outcome]]:
        """Learned boilerplate, in arrival order; the learner collects the state changes."""
        out: list[list[Outcome]] = []
        for record in records:
            cleaned = ctx.decode(record)
            if isinstance(cleaned, DeadLetter):
                out.append([names.outcome(cleaned)])
                continue
            partition = record.provenance.partition if record.provenance else None
            result = flow.learn(cleaned, learner, partition, limits=ctx.limits)
            if isinstance(result, CleanedDispatch):
                out.append([ctx.internal(names.cleaned, result, by="story")])
            else:
                out.append([names.outcome(result)])
        return out

    # The learned state, one small key per line of a source shard, with a compacted
    # changelog; each key's changelog partition is its shard's, the partition the shard's
    # wire.parsed records arrive on (pipeline/tables.py).
    boilerplate_table(app, settings, learner)

    # Stories (versions, kills, duplicates): the state of each story in a table on the
    # partition of wire.cleaned its records come from; the duplicate index in memory, a
    # copy of wire.fingerprints on every worker (pipeline/tables.py, README "Stories").
    desk = replica = None
    if settings.stories:
        from pipeline.stories.desk import StoryConfig, StoryDesk

        desk = StoryDesk(StoryConfig.from_settings(settings))
        story_table(app, settings, desk, names.cleaned)
        replica = FingerprintReplica(settings, names.fingerprints, desk.index)

        @app.task
        async def read_fingerprints() -> None:
            """Every worker's duplicate index follows wire.fingerprints."""
            assert replica is not None
            await replica.run()

    # Story clusters of published articles: every worker holds the whole cluster index, a
    # copy of wire.clusters, and places its own articles in it (README "Stories").
    clusters = cluster_replica = None
    if settings.stories and settings.clusters:
        from pipeline.stories.cluster_desk import ClusterDesk
        from pipeline.stories.clusters import ClusterConfig

        clusters = ClusterDesk(ClusterConfig.from_settings(settings))
        cluster_replica = ClusterReplica(settings, names.clusters, clusters)

        @app.task
        async def read_clusters() -> None:
            """Every worker's cluster index follows wire.clusters."""
            assert cluster_replica is not None
            await cluster_replica.run()

        @app.timer(60.0)
        async def report_clusters() -> None:
            assert clusters is not None
            log.info("story clusters: %s", clusters.stats())

    enrich_stage = obs.stage("enrich-emit", enrich)

    async def run_enrich(records: list[RawDispatch]) -> list[list[Outcome]]:
        """Story verdicts first (duplicates are not enriched), then enrich-emit in its process."""
        if desk is None or replica is None:
            return await enrich_stage(records)
        await replica.wait_ready(timeout=30.0)
        plan = judge_batch(desk, ctx, records)
        todo = [p.record for p in plan if p.record is not None]
        enriched = iter(await enrich_stage(todo) if todo else [])
        results = [(next(enriched) if p.record is not None else []) + p.outcomes for p in plan]
        if clusters is None or cluster_replica is None:
            return results
        await cluster_replica.wait_ready(timeout=30.0)
        return await clusters.run(cluster_batch, clusters, ctx, plan, results)  # off the loop

    async def story_checkpoint() -> None:
        if desk is not None:
            desk.flush()  # the stories this batch changed, each once, to the table (and its changelog)

    @app.task
    async def diagnostics() -> None:
        """``kill -USR1 <worker>`` logs where every task and thread is waiting."""
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump_stacks)

    @app.timer(5.0)
    async def report_health() -> None:
        """Where every partition is (done, high watermark, last progress), to a file every 5 s."""
        health.report(consumer, breakers, stage_of, settings)

    @app.task
    async def warm_up() -> None:
        """Start the stage processes (models and gazetteers load) before the first dispatch."""
        for stage_runner in (parse, enrich):
            try:
                await stage_runner.start()
            except Exception:  # the first batch tries again, and fails (and retries) where it belongs
                log.exception("starting a stage process failed")

    @app.agent(topics.raw, name="parse-clean")
    async def parse_clean(stream: faust.StreamT) -> None:
        name, attempts = "parse-clean", settings.batch_attempts
        try:
            await serve(
                reader(stream),
                obs.stage(name, parse),
                publisher,
                name=name,
                attempts=attempts,
                guard=guard(name, parse.close),
                observe=obs.done(name),
            )
        finally:
            parse.close()  # the stage process ends with its agent

    @app.agent(topics.parsed, name="learn-boilerplate")
    async def learn_boilerplate(stream: faust.StreamT) -> None:
        async def stage(records: list[RawDispatch]) -> list[list[Outcome]]:
            return run_learn(records)  # cheap (hashing lines): runs on the loop, which owns the table

        async def checkpoint() -> None:
            ctx.faults.hit("checkpoint")
            learner.flush()  # the keys this batch changed, each once, to the table (and its changelog)

        name, attempts = "learn-boilerplate", settings.batch_attempts
        await serve(
            reader(stream),
            obs.timed(name, stage),
            publisher,
            name=name,
            attempts=attempts,
            after=checkpoint,
            guard=guard(name),
            observe=obs.done(name),
        )

    @app.agent(topics.cleaned, name="enrich-emit")
    async def enrich_emit(stream: faust.StreamT) -> None:
        name, attempts = "enrich-emit", settings.batch_attempts
        try:
            await serve(
                reader(stream),
                routed_topics.wrap(run_enrich),  # routed copies: their topics exist first
                publisher,
                name=name,
                attempts=attempts,
                after=story_checkpoint,
                guard=guard(name, enrich.close),
                observe=obs.done(name),
            )
        finally:
            enrich.close()


def dump_stacks() -> None:
    """Log the stack of every asyncio task and every thread (a stuck worker's post-mortem)."""
    out = io.StringIO()
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # no event loop running yet
        tasks = set()
    for task in tasks:
        out.write(f"--- task {task.get_name()} {task.get_coro()!r}\n")
        try:
            # a suspended task's own stack is its outermost frame only: where it waits is
            # down the chain of coroutines it awaits
            out.write("".join(f"  {line}\n" for line in _awaiting(task.get_coro())))
        except Exception as exc:  # e.g. a frame without a line number (3.11): go on with the others
            out.write(f"    (no stack: {exc!r})\n")
    for ident, frame in sys._current_frames().items():
        out.write(f"--- thread {ident}\n")
        out.write("".join(traceback.format_stack(frame, limit=12)))
    log.warning("stacks on request (SIGUSR1):\n%s", out.getvalue())


def _awaiting(coro: object, limit: int = 24) -> list[str]:
    """``file:line in function`` for each coroutine (or generator) in ``coro``'s await chain."""
    lines: list[str] = []
    while coro is not None and len(lines) < limit:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None) or getattr(coro, "ag_frame", None)
        if frame is not None:
            code = frame.f_code
            lines.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None) or getattr(coro, "ag_await", None)
    return lines
