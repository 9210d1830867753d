"""The agents: wiring only. Read a batch, run the pure stages, publish, then ack.

    wire.raw ─parse-clean─▶ wire.parsed ─learn-boilerplate─▶ wire.cleaned ─enrich-emit─▶ wire.articles
                 │          (key: source)    (table by source)  (key: story id)   │
                 └───────────────────────────▶ wire.deadletter ◀──────────────────┘

A batch's raw offsets are acked (and so committed) only after every outcome of the
batch is acknowledged by the broker: ``publish`` awaits the delivery futures, and
``take_events`` acks when the loop body returns. The stages run in a worker thread so
that CPU-heavy enrichment does not stall the event loop (heartbeats, fetches).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import ProducerSendError

from pipeline.app import Topics
from pipeline.errors import ContractError, UnexpectedError
from pipeline.records import CleanedDispatch, Headers, Outcome, Provenance, RawDispatch
from pipeline.settings import Settings
from pipeline.stages import boilerplate, flow
from pipeline.stages.flow import Stages
from pipeline.stages.outcome import dead_letter

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


def _check(outcomes: list[Outcome], topics: Topics) -> None:
    """With WIREFEED_VALIDATE: log every outcome that breaks its schema (a bug, not bad input)."""
    from pipeline.schemas import validate_outcome

    for outcome in outcomes:
        logical = topics.names.logical(outcome.topic)
        if logical in ("wire.parsed", "wire.cleaned"):
            continue
        try:
            validate_outcome(outcome, logical)
        except ContractError as exc:
            log.error("%s %s: %s", outcome.topic, outcome.header("wf_dispatch_id"), exc)


def _decode_or_dead_letter(record: RawDispatch, names: Any) -> CleanedDispatch | Outcome:
    try:
        return flow.decode_cleaned(record.value)
    except ContractError as exc:
        # Not our record: dead-letter its bytes as they are, with where they were read.
        return dead_letter(record, exc, topic=names.deadletter)


def wire(app: faust.App, topics: Topics, settings: Settings, stages: Stages | None) -> None:
    """Register the three agents (and the warm-up task) on ``app``."""
    names = topics.names
    publisher = Publisher(topics, settings)
    continuity = Continuity(app)
    parse_pool = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-parse")
    enrich_pool = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-enrich")
    resolved: list[Stages] = []

    def get_stages() -> Stages:
        if not resolved:
            resolved.append(stages or flow.default_stages(settings))
        return resolved[0]

    def run_first_half(raws: list[RawDispatch]) -> list[Outcome]:
        out: list[Outcome] = []
        for raw in raws:
            try:
                for result in flow.first_half(raw, get_stages(), names):
                    if isinstance(result, CleanedDispatch):
                        key, value = flow.encode_cleaned(result, by="source")
                        out.append(Outcome(names.parsed, key, value))
                    else:
                        out.append(result)
            except Exception as exc:  # encoding the internal record failed: a bug; keep the dispatch
                out.append(dead_letter(raw, UnexpectedError(exc, stage="encode-cleaned"), topic=names.deadletter))
        if settings.validate:
            _check(out, topics)
        return out

    def run_second_half(records: list[RawDispatch]) -> list[Outcome]:
        validator = None
        if settings.validate:
            from pipeline.schemas import validate_outcome

            def validator(o: Outcome) -> None:
                validate_outcome(o, topics.names.logical(o.topic))

        now = datetime.now(tz=UTC)
        decoded = [_decode_or_dead_letter(record, names) for record in records]
        items = [c.item for c in decoded if isinstance(c, CleanedDispatch)]
        enrichments = iter(flow.enrich_many(items, get_stages()))
        out: list[Outcome] = []
        for cleaned in decoded:
            if isinstance(cleaned, Outcome):
                out.append(cleaned)
            else:
                out.append(flow.second_half(cleaned, get_stages(), names, validator, now, next(enrichments)))
        return out

    def run_learn(records: list[RawDispatch]) -> tuple[list[Outcome], dict[bytes, Any]]:
        """Learned boilerplate, in arrival order; returns the outcomes and the touched states."""
        out: list[Outcome] = []
        touched: dict[bytes, Any] = {}
        for record in records:
            cleaned = _decode_or_dead_letter(record, names)
            if isinstance(cleaned, Outcome):
                out.append(cleaned)
                continue
            key = cleaned.source.encode("utf-8")
            state = touched.get(key) or boilerplate_table.get(key) or boilerplate.new_state()
            touched[key] = state
            result = flow.learn(cleaned, state, names)
            if isinstance(result, CleanedDispatch):
                story_key, value = flow.encode_cleaned(result, by="story")
                out.append(Outcome(names.cleaned, story_key, value))
            else:
                out.append(result)
        return out, touched

    # One learned state per source, with a changelog so it survives restarts. wire.parsed is
    # keyed by source and the table uses the same partitioner on the same key bytes, so a
    # source's state lives on the partition its dispatches arrive on.
    boilerplate_table = app.Table(
        "boilerplate",
        default=None,
        key_type=bytes,  # raw key bytes, as on wire.parsed; values (plain dicts) travel as JSON
        partitions=settings.partitions,
        use_partitioner=True,
    )

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
            outcomes, touched = run_learn(records)
            await publisher.publish_or_die(outcomes)
            for key, state in touched.items():
                boilerplate_table[key] = state  # checkpoint to the changelog, once per batch

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
    async for events in cast(faust.Stream, stream).take_events(settings.batch_max, settings.batch_within):
        await continuity.check(events)
        yield events


class Continuity:
    """Re-reads records the consumer skipped, so that no dispatch is silently lost.

    faust-streaming 0.15 can drop records it fetched around a rebalance or a table
    recovery (they reach the stream while flow control is paused and are skipped) without
    seeking back: the partition then goes on after a hole, and the skipped records are
    only read again after the next restart. Measured here: 1 to 10 records lost in about
    one restart in four. Our topics have contiguous offsets, so a hole is detectable: when
    a partition's offset jumps ahead of the next expected one (the committed offset at the
    start of an assignment), we seek back to the first missing record. Records re-read
    this way are processed again (at-least-once: deterministic ids). A hole that comes back
    after one seek is a real gap (transaction markers, compaction) and is accepted.
    """

    def __init__(self, app: faust.App) -> None:
        self.app = app
        self.expected: dict[Any, tuple[int, int]] = {}  # tp -> (generation, next offset)
        self.healed: set[tuple[Any, int]] = set()

    async def check(self, events: Sequence[faust.EventT]) -> None:
        generation = self.app.consumer_generation_id
        consumer = cast(Any, self.app.consumer)  # _committed_offset: Faust's own bookkeeping
        for event in events:
            tp, offset = event.message.tp, event.message.offset
            known = self.expected.get(tp)
            if known is None or known[0] != generation:
                committed = consumer._committed_offset.get(tp)  # where this assignment starts
                expected = committed if committed is not None and committed >= 0 else offset
            else:
                expected = known[1]
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


def _warm_up(get_stages: Any) -> None:
    stages = get_stages()
    if stages.warm_up is not None:
        stages.warm_up()
