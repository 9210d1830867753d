"""The agents: wiring only. Each reads a batch, runs its stage, publishes, and is done.

    wire.raw ─parse-clean─▶ wire.parsed ─learn-boilerplate─▶ wire.cleaned ─enrich-emit─▶ wire.articles
                 │          (key: shard)   (table: line keys)   (key: story id)   │
                 └───────────────────────────▶ wire.deadletter ◀──────────────────┘

The delivery guarantees live in ``pipeline.delivery``: records are taken in offset
order per partition, a batch counts as done only when every outcome is acknowledged by
the broker, and offsets are committed only as far as records are done (the ledger),
whatever Faust acks. The stages run off the event loop, so that heartbeats and fetches
go on while CPU-heavy enrichment runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
import sys
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline.delivery.consumer import ledger_consumer
from pipeline.delivery.failpoints import Failpoints
from pipeline.delivery.hop import Reader, serve
from pipeline.delivery.publish import Publisher, faust_send
from pipeline.errors import ContractError, UnexpectedError
from pipeline.records import CleanedDispatch, DeadLetter, Outcome, RawDispatch, Result
from pipeline.settings import Settings
from pipeline.stages import boilerplate, flow
from pipeline.stages.flow import Stages
from pipeline.stages.outcome import Limits, dead_letter
from pipeline.tables import boilerplate_table
from pipeline.topics import Topics

log = logging.getLogger(__name__)


def _check(results: Sequence[Result], faults: Failpoints) -> None:
    """With WIREFEED_VALIDATE: log every result that breaks its schema (a bug, not bad input)."""
    from pipeline.schemas import validate_result

    faults.hit("validate")
    for result in results:
        try:
            validate_result(result)
        except ContractError as exc:
            log.error("%s: %s", result.raw.where(), exc)


def _decode_or_dead_letter(record: RawDispatch, limits: Limits) -> CleanedDispatch | DeadLetter:
    try:
        return flow.decode_cleaned(record.value)
    except ContractError as exc:
        # Not our record: dead-letter its bytes as they are, with where they were read.
        return dead_letter(record, exc, limits=limits)


def wire(app: faust.App, topics: Topics, settings: Settings, stages: Stages | None) -> None:
    """Register the three agents (and the warm-up task) on ``app``."""
    names = topics.names
    consumer = ledger_consumer(app)
    faults = Failpoints(settings.failpoints)
    consumer.failpoints = faults
    publisher = Publisher(faust_send(app), names, budget=settings.publish_budget, faults=faults)
    parse_pool = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-parse")
    enrich_pool = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-enrich")
    resolved: list[Stages] = []
    learner = boilerplate.Learner(boilerplate.LearnerConfig.from_settings(settings))
    limits = Limits.from_settings(settings)

    def internal(topic: str, cleaned: CleanedDispatch, by: str) -> Outcome:
        """The internal record for the next agent (or the dead letter: it is over the limit)."""
        record = flow.internal_record(cleaned, by=by, limits=limits)
        if isinstance(record, DeadLetter):
            return names.outcome(record)
        key, value = record
        return Outcome(topic, key, value, (), cleaned.raw, cleaned.part, cleaned.parts)

    def reader(stream: faust.StreamT) -> Reader:
        return Reader(app, stream, consumer, batch_max=settings.batch_max, batch_within=settings.batch_within)

    def load_stages() -> Stages:
        if not resolved:
            resolved.append(stages or flow.default_stages(settings))
        return resolved[0]

    def get_stages() -> Stages:
        faults.hit("stage")
        return load_stages()

    def run_first_half(raws: list[RawDispatch]) -> list[Outcome]:
        # the stages fail to load: the batch fails (tried again, then the worker stops), no
        # dispatch is dead-lettered for what is not its fault
        current = get_stages()
        out: list[Outcome] = []
        checked: list[Result] = []
        for raw in raws:
            for result in flow.first_half(raw, current, learning=learner.cfg, limits=limits):
                if isinstance(result, DeadLetter):
                    checked.append(result)
                    out.append(names.outcome(result))
                    continue
                try:
                    out.append(internal(names.parsed, result, by="source"))
                except Exception as exc:  # this item cannot be encoded: keep the dispatch as a dead letter
                    error = UnexpectedError(exc, stage="encode-cleaned")
                    out.append(names.outcome(dead_letter(raw, error, part=result.part, parts=result.parts)))
        if settings.validate:
            _check(checked, faults)
        return out

    def run_second_half(records: list[RawDispatch]) -> list[Outcome]:
        validator: flow.Validator | None = None
        if settings.validate:
            from pipeline.schemas import validate_result

            validator = validate_result
        now = datetime.now(tz=UTC)
        current = get_stages()
        decoded = [_decode_or_dead_letter(record, limits) for record in records]
        items = [c.item for c in decoded if isinstance(c, CleanedDispatch)]
        enrichments = iter(flow.enrich_many(items, current))
        out: list[Outcome] = []
        for cleaned in decoded:
            if isinstance(cleaned, DeadLetter):
                out.append(names.outcome(cleaned))
            else:
                enrichment = next(enrichments)
                result = flow.second_half(cleaned, current, validator, now, enrichment, limits=limits)
                out.append(names.outcome(result))
        return out

    def run_learn(records: list[RawDispatch]) -> list[Outcome]:
        """Learned boilerplate, in arrival order; the learner collects the state changes."""
        out: list[Outcome] = []
        for record in records:
            cleaned = _decode_or_dead_letter(record, limits)
            if isinstance(cleaned, DeadLetter):
                out.append(names.outcome(cleaned))
                continue
            partition = record.provenance.partition if record.provenance else None
            result = flow.learn(cleaned, learner, partition, limits=limits)
            if isinstance(result, CleanedDispatch):
                out.append(internal(names.cleaned, result, by="story"))
            else:
                out.append(names.outcome(result))
        return out

    # The learned state, one small key per line of a source shard, with a compacted
    # changelog; each key's changelog partition is its shard's, the partition the shard's
    # wire.parsed records arrive on (pipeline/tables.py).
    boilerplate_table(app, settings, learner)

    @app.task
    async def diagnostics() -> None:
        """``kill -USR1 <worker>`` logs where every task and thread is waiting."""
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump_stacks)

    @app.task
    async def warm_up() -> None:
        """Load models and gazetteers before the first dispatch arrives, off the event loop."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(enrich_pool, _warm_up, load_stages)
        except Exception:  # the first batch tries again, and fails (and retries) where it belongs
            log.exception("warming up the stages failed")

    @app.agent(topics.raw, name="parse-clean")
    async def parse_clean(stream: faust.StreamT) -> None:
        async def stage(raws: list[RawDispatch]) -> list[Outcome]:
            return await asyncio.get_running_loop().run_in_executor(parse_pool, run_first_half, raws)

        await serve(reader(stream), stage, publisher, name="parse-clean", attempts=settings.batch_attempts)

    @app.agent(topics.parsed, name="learn-boilerplate")
    async def learn_boilerplate(stream: faust.StreamT) -> None:
        async def stage(records: list[RawDispatch]) -> list[Outcome]:
            return run_learn(records)  # cheap (hashing lines): runs on the loop, which owns the table

        async def checkpoint() -> None:
            faults.hit("checkpoint")
            learner.flush()  # the keys this batch changed, each once, to the table (and its changelog)

        name, attempts = "learn-boilerplate", settings.batch_attempts
        await serve(reader(stream), stage, publisher, name=name, attempts=attempts, after=checkpoint)

    @app.agent(topics.cleaned, name="enrich-emit")
    async def enrich_emit(stream: faust.StreamT) -> None:
        async def stage(records: list[RawDispatch]) -> list[Outcome]:
            return await asyncio.get_running_loop().run_in_executor(enrich_pool, run_second_half, records)

        await serve(reader(stream), stage, publisher, name="enrich-emit", attempts=settings.batch_attempts)


def dump_stacks() -> None:
    """Log the stack of every asyncio task and every thread (a stuck worker's post-mortem)."""
    out = io.StringIO()
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # no event loop running yet
        tasks = set()
    for task in tasks:
        out.write(f"--- task {task.get_name()} {task.get_coro()!r}\n")
        task.print_stack(limit=12, file=out)
    for ident, frame in sys._current_frames().items():
        out.write(f"--- thread {ident}\n")
        out.write("".join(traceback.format_stack(frame, limit=12)))
    log.warning("stacks on request (SIGUSR1):\n%s", out.getvalue())


def _warm_up(get_stages: Any) -> None:
    stages = get_stages()
    if stages.warm_up is not None:
        stages.warm_up()
