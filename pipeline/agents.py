"""The agents: wiring only. Read a batch, run the pure stages, publish, then ack.

    wire.raw ─parse-clean─▶ wire.parsed ─learn-boilerplate─▶ wire.cleaned ─enrich-emit─▶ wire.articles
                 │          (key: shard)   (table: line keys)   (key: story id)   │
                 └───────────────────────────▶ wire.deadletter ◀──────────────────┘

A batch's raw offsets are acked (and so committed) only after every outcome of the
batch is acknowledged by the broker: ``publish`` awaits the delivery futures, and
``take_events`` acks when the loop body returns. The stages run in a worker thread so
that CPU-heavy enrichment does not stall the event loop (heartbeats, fetches).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import ProducerSendError

from pipeline.errors import ContractError, UnexpectedError
from pipeline.records import CleanedDispatch, DeadLetter, Headers, Outcome, Provenance, RawDispatch, Result
from pipeline.settings import Settings
from pipeline.stages import boilerplate, flow
from pipeline.stages.flow import Stages
from pipeline.stages.outcome import dead_letter
from pipeline.tables import boilerplate_table
from pipeline.topics import Topics

log = logging.getLogger(__name__)

#: exit code of a worker that stops with outcomes it could not publish (offsets uncommitted)
EXIT_UNPUBLISHED = 70


def _headers(raw_headers: Any) -> Headers:
    if not raw_headers:
        return ()
    pairs = raw_headers.items() if isinstance(raw_headers, Mapping) else raw_headers
    return tuple((str(k), bytes(v) if v is not None else b"") for k, v in pairs)


def raw_from_event(event: faust.EventT) -> RawDispatch:
    """The RawDispatch of a Faust event: bytes, headers and where they were read."""
    m = event.message
    timestamp_ms = int(m.timestamp * 1000) if m.timestamp else None
    return RawDispatch(
        value=m.value or b"",
        headers=_headers(m.headers),
        key=m.key,
        provenance=Provenance(m.topic, m.partition, m.offset, timestamp_ms),
    )


class Publisher:
    """Sends outcomes and waits until the broker has them; retries while Kafka is away."""

    def __init__(self, topics: Topics, settings: Settings) -> None:
        self.topics = topics
        self.validate = settings.validate

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        delay = 0.5
        while True:
            try:
                futures = []
                for outcome in outcomes:
                    topic = self.topics.by_name(outcome.topic)
                    futures.append(
                        await topic.send(key=outcome.key, value=outcome.value, headers=list(outcome.headers))
                    )
                await asyncio.gather(*futures)
                return
            except (KafkaError, ProducerSendError) as exc:
                # At-least-once: a resend may duplicate outcomes; their ids are deterministic.
                log.warning("publishing %d outcomes failed (%s); retrying in %.1f s", len(outcomes), exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def publish_or_die(self, outcomes: Sequence[Outcome]) -> None:
        """Publish; if the worker is being stopped before that succeeds, exit without committing.

        An exception escaping the loop body would let Faust ack the batch (and commit the
        raw offsets on the way out) although its outcomes were never published: that is how
        dispatches get lost. A hard exit leaves the offsets uncommitted; the next worker
        re-reads the batch.
        """
        task = asyncio.ensure_future(self.publish(outcomes))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            try:
                await asyncio.wait_for(task, timeout=10)
            except (asyncio.CancelledError, TimeoutError):
                log.critical("stopping with %d unpublished outcomes: exiting without committing", len(outcomes))
                os._exit(EXIT_UNPUBLISHED)
            raise


def _check(results: Sequence[Result]) -> None:
    """With WIREFEED_VALIDATE: log every result that breaks its schema (a bug, not bad input)."""
    from pipeline.schemas import validate_result

    for result in results:
        try:
            validate_result(result)
        except ContractError as exc:
            log.error("%s: %s", result.raw.where(), exc)


def _decode_or_dead_letter(record: RawDispatch) -> CleanedDispatch | DeadLetter:
    try:
        return flow.decode_cleaned(record.value)
    except ContractError as exc:
        # Not our record: dead-letter its bytes as they are, with where they were read.
        return dead_letter(record, exc)


def wire(app: faust.App, topics: Topics, settings: Settings, stages: Stages | None) -> None:
    """Register the three agents (and the warm-up task) on ``app``."""
    names = topics.names
    publisher = Publisher(topics, settings)
    continuity = Continuity(app, (names.raw, names.parsed, names.cleaned), idle_after=settings.continuity_idle)
    parse_pool = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-parse")
    enrich_pool = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-enrich")
    resolved: list[Stages] = []
    learner = boilerplate.Learner(boilerplate.LearnerConfig.from_settings(settings))

    def get_stages() -> Stages:
        if not resolved:
            resolved.append(stages or flow.default_stages(settings))
        return resolved[0]

    def run_first_half(raws: list[RawDispatch]) -> list[Outcome]:
        out: list[Outcome] = []
        checked: list[Result] = []
        for raw in raws:
            try:
                for result in flow.first_half(raw, get_stages(), learning=learner.cfg):
                    if isinstance(result, CleanedDispatch):
                        key, value = flow.encode_cleaned(result, by="source")
                        out.append(Outcome(names.parsed, key, value))
                    else:
                        checked.append(result)
                        out.append(names.outcome(result))
            except Exception as exc:  # encoding the internal record failed: a bug; keep the dispatch
                out.append(names.outcome(dead_letter(raw, UnexpectedError(exc, stage="encode-cleaned"))))
        if settings.validate:
            _check(checked)
        return out

    def run_second_half(records: list[RawDispatch]) -> list[Outcome]:
        validator: flow.Validator | None = None
        if settings.validate:
            from pipeline.schemas import validate_result

            validator = validate_result

        now = datetime.now(tz=UTC)
        decoded = [_decode_or_dead_letter(record) for record in records]
        items = [c.item for c in decoded if isinstance(c, CleanedDispatch)]
        enrichments = iter(flow.enrich_many(items, get_stages()))
        out: list[Outcome] = []
        for cleaned in decoded:
            if isinstance(cleaned, DeadLetter):
                out.append(names.outcome(cleaned))
            else:
                out.append(names.outcome(flow.second_half(cleaned, get_stages(), validator, now, next(enrichments))))
        return out

    def run_learn(records: list[RawDispatch]) -> list[Outcome]:
        """Learned boilerplate, in arrival order; the learner collects the state changes."""
        out: list[Outcome] = []
        for record in records:
            cleaned = _decode_or_dead_letter(record)
            if isinstance(cleaned, DeadLetter):
                out.append(names.outcome(cleaned))
                continue
            partition = record.provenance.partition if record.provenance else None
            result = flow.learn(cleaned, learner, partition)
            if isinstance(result, CleanedDispatch):
                story_key, value = flow.encode_cleaned(result, by="story")
                out.append(Outcome(names.cleaned, story_key, value))
            else:
                out.append(names.outcome(result))
        return out

    # The learned state, one small key per line of a source shard, with a compacted
    # changelog; each key's changelog partition is its shard's, the partition the shard's
    # wire.parsed records arrive on (pipeline/tables.py).
    boilerplate_table(app, settings, learner)

    @app.timer(max(settings.continuity_idle / 2, 0.5))
    async def sweep() -> None:
        await continuity.sweep()

    @app.task
    async def diagnostics() -> None:
        """``kill -USR1 <worker>`` logs where every task and thread is waiting."""
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump_stacks)

    @app.task
    async def warm_up() -> None:
        """Load models and gazetteers before the first dispatch arrives, off the event loop."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(enrich_pool, _warm_up, get_stages)

    @app.agent(topics.raw, name="parse-clean")
    async def parse_clean(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for events in _batches(stream, settings, continuity):
            raws = [raw_from_event(e) for e in events]
            outcomes = await loop.run_in_executor(parse_pool, run_first_half, raws)
            await publisher.publish_or_die(outcomes)

    @app.agent(topics.parsed, name="learn-boilerplate")
    async def learn_boilerplate(stream: faust.StreamT) -> None:
        async for events in _batches(stream, settings, continuity):
            records = [raw_from_event(e) for e in events]
            # cheap (hashing lines): runs on the loop, which owns the table
            outcomes = run_learn(records)
            await publisher.publish_or_die(outcomes)
            learner.flush()  # the keys this batch changed, each once, to the table (and its changelog)

    @app.agent(topics.cleaned, name="enrich-emit")
    async def enrich_emit(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for events in _batches(stream, settings, continuity):
            records = [raw_from_event(e) for e in events]
            outcomes = await loop.run_in_executor(enrich_pool, run_second_half, records)
            await publisher.publish_or_die(outcomes)
            for outcome in outcomes:
                log.debug("published %s %s", outcome.topic, outcome.key)


async def _batches(stream: faust.StreamT, settings: Settings, continuity: Continuity) -> Any:
    """Batches of events; acked by Faust when the loop body that received them returns."""
    # take_events exists on faust-streaming's Stream, not on its StreamT protocol
    topic = cast(Any, stream.channel).get_topic_name()
    async for events in cast(faust.Stream, stream).take_events(settings.batch_max, settings.batch_within):
        await continuity.check(events)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s: batch of %d (%s)", topic, len(events), _spans(events))
        with continuity.processing(topic):
            yield events


def dump_stacks() -> None:
    """Log the stack of every asyncio task and every thread (a stuck worker's post-mortem)."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"--- task {task.get_name()} {task.get_coro()!r}\n")
        task.print_stack(limit=12, file=out)
    for ident, frame in sys._current_frames().items():
        out.write(f"--- thread {ident}\n")
        out.write("".join(traceback.format_stack(frame, limit=12)))
    log.warning("stacks on request (SIGUSR1):\n%s", out.getvalue())


def _spans(events: Sequence[faust.EventT]) -> str:
    """'0:66-80 1:66-79': the offsets of a batch per partition, for the log."""
    seen: dict[int, list[int]] = {}
    for event in events:
        seen.setdefault(event.message.partition, []).append(event.message.offset)
    return " ".join(f"{p}:{min(o)}-{max(o)}" for p, o in sorted(seen.items()))


class Continuity:
    """Re-reads records the consumer skipped, so that no dispatch is silently lost.

    faust-streaming 0.15 can drop records it fetched around a rebalance or a table
    recovery (they reach the stream while flow control is paused, or with the previous
    generation id, and are skipped) without seeking back: the partition then goes on after
    a hole, and the skipped records are only read again after the next restart. Measured
    here: 1 to 10 records lost in about one restart in four, and now and then the whole
    tail of a partition. Our topics have contiguous offsets, so both are detectable:

    * a hole: a partition's offset jumps ahead of the next expected one (the committed
      offset at the start of an assignment) -- ``check``, on every batch;
    * a lost tail: the fetcher has delivered a partition up to an offset the agent never
      received, and ``idle_after`` seconds later the agent has still had no batch --
      ``sweep``, on a timer.

    Either way we seek back to the first missing record. Records re-read this way are
    processed again (at-least-once: deterministic ids). A hole that comes back after one
    seek is a real gap (transaction markers, compaction) and is accepted; a lost tail is
    sought at most ``max_tail_seeks`` times from the same offset.
    """

    def __init__(self, app: faust.App, topics: Sequence[str] = (), idle_after: float = 5.0) -> None:
        self.app = app
        self.topics = set(topics)
        self.idle_after = idle_after
        self.max_tail_seeks = 3
        self.expected: dict[Any, tuple[int, int]] = {}  # tp -> (generation, next offset)
        self.healed: set[tuple[Any, int]] = set()
        self.tail_seeks: dict[tuple[Any, int], int] = {}
        self.busy: set[str] = set()  # topics whose agent is inside a batch
        self.last_activity: dict[str, float] = {}  # topic -> when its agent last had a batch
        self.generation: int | None = None  # the consumer generation the last sweep saw
        self.suspects: dict[Any, tuple[int, float]] = {}  # tp -> (expected offset, since when)

    def _expected(self, tp: Any, generation: int) -> int | None:
        known = self.expected.get(tp)
        if known is not None and known[0] == generation:
            return known[1]
        committed = cast(Any, self.app.consumer)._committed_offset.get(tp)  # where this assignment starts
        return committed if committed is not None and committed >= 0 else None

    async def check(self, events: Sequence[faust.EventT]) -> None:
        generation = self.app.consumer_generation_id
        consumer = cast(Any, self.app.consumer)  # _committed_offset: Faust's own bookkeeping
        now = time.monotonic()
        for event in events:
            tp, offset = event.message.tp, event.message.offset
            self.last_activity[tp.topic] = now
            expected = self._expected(tp, generation)
            if expected is None:
                expected = offset
            if offset > expected and (tp, expected) not in self.healed:
                self.healed.add((tp, expected))
                log.warning(
                    "%s[%d]: offsets %d..%d were skipped by the consumer; reading them again",
                    tp.topic,
                    tp.partition,
                    expected,
                    offset - 1,
                )
                await consumer.seek(tp, expected)
                self.expected[tp] = (generation, expected)
                continue
            self.expected[tp] = (generation, max(offset + 1, expected))

    async def sweep(self) -> None:
        """Seek back where the fetcher delivered records that never reached an idle agent."""
        app = cast(Any, self.app)
        if app.rebalancing or not app.flow_control.is_active():
            return
        generation = app.consumer_generation_id
        now = time.monotonic()
        if self.generation != generation:  # a new assignment: let it settle for one interval
            self.generation = generation
            return
        consumer = app.consumer
        for tp in sorted(consumer.assignment()):
            if tp.topic not in self.topics or tp.topic in self.busy:
                continue
            # Faust's read offset is the last offset the fetcher handed over (or, right after a
            # seek, the next one to read); the high watermark is the partition's end as of the
            # last fetch. Either beyond what the agent has processed: records not yet seen.
            delivered = consumer._read_offset.get(tp)
            end = _highwater(consumer, tp)
            if delivered is None and not end:  # nothing fetched from this partition
                continue
            expected = self._expected(tp, generation)
            if expected is None:
                expected = (await consumer.earliest_offsets(tp)).get(tp, 0)
            if not ((delivered is not None and delivered > expected) or (end is not None and end > expected)):
                self.suspects.pop(tp, None)
                continue
            last = max(delivered or 0, (end or 0) - 1)
            # Usually they are on their way to the agent (fetched a moment ago). They are lost
            # only if they are still unseen ``idle_after`` seconds later, with no batch at all
            # (any partition) reaching the agent meanwhile.
            suspect = self.suspects.get(tp)
            if suspect is None or suspect[0] != expected or self.last_activity.get(tp.topic, 0.0) >= suspect[1]:
                self.suspects[tp] = (expected, now)
                continue
            if now - suspect[1] < self.idle_after:
                continue
            del self.suspects[tp]
            attempt = self.tail_seeks.get((tp, expected), 0)
            if attempt >= self.max_tail_seeks:
                continue
            self.tail_seeks[(tp, expected)] = attempt + 1
            log.warning(
                "%s[%d]: offsets %d..%d were fetched but never processed; reading them again",
                tp.topic,
                tp.partition,
                expected,
                last,
            )
            await consumer.seek(tp, expected)

    @contextlib.contextmanager
    def processing(self, topic: str) -> Any:
        """Marks ``topic``'s agent busy while it works on a batch (its queue may hold records)."""
        self.busy.add(topic)
        try:
            yield
        finally:
            self.busy.discard(topic)
            self.last_activity[topic] = time.monotonic()


def _highwater(consumer: Any, tp: Any) -> int | None:
    try:
        end = consumer.highwater(tp)
    except Exception:  # not fetched yet, or a client without it: no evidence
        return None
    return end if isinstance(end, int) and end >= 0 else None


def _warm_up(get_stages: Any) -> None:
    stages = get_stages()
    if stages.warm_up is not None:
        stages.warm_up()
