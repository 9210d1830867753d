"""One hop of the pipeline: read a batch from the agent's topic, run the stage, publish, done.

    queue ──take──▶ batch ──stage──▶ outcomes ──publish (acks=all)──▶ complete: ledger.done
      (Faust puts     (records in       (pure; in a worker                 moves, events acked
       fetched         offset order      thread or process)
       records here)   per partition)

The invariant: a record counts as done (and its offset may be committed) only after
every outcome of it is acknowledged by the broker. Nothing here acks a record without
its outcome: a failure anywhere in a batch (the stage runner, a table checkpoint, schema
validation, publishing) leaves the batch undone; it is tried again with backoff, and
after ``attempts`` failures (or when the broker stays away beyond the publish budget)
the worker stops, so that its partitions move and the batch is read again elsewhere.

``Reader`` replaces Faust's ``take_events``: it reads the agent's channel queue itself,
so "quiescent" (no batch in flight, nothing queued) is exact, and it asks the ledger
about every record (take / duplicate / hole), which keeps per-partition offset order
(and so per-story order) even when Faust drops records and we seek back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import faust

from pipeline.delivery import lifecycle
from pipeline.delivery.breaker import Breaker
from pipeline.delivery.consumer import LedgerConsumer
from pipeline.delivery.ledger import Ledger, Verdict
from pipeline.delivery.publish import BrokerUnavailable, Publisher, PublishFailed
from pipeline.records import Headers, Outcome, Provenance, RawDispatch

log = logging.getLogger(__name__)

#: the stage of a hop: the records of a batch in, the outcomes of each record out (in order)
Stage = Callable[[list[RawDispatch]], Awaitable[list[list[Outcome]]]]
#: told of every batch once it is done (its outcomes acknowledged): metrics, sightings
Observe = Callable[[list[RawDispatch], list[list[Outcome]]], None]


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


# The channel each agent reads, by (app id, topic): an agent restarted by Faust's
# supervisor registers a new channel, but the conductor keeps delivering to the old one
# until the next rebalance (a partition then stalls: the old queue fills, Faust pauses
# the partition). A new Reader takes the old channel's place in the conductor.
_channels: dict[tuple[str, str], Any] = {}


class Reader:
    """The batches of one agent, each record admitted by the ledger."""

    def __init__(
        self,
        app: faust.App,
        stream: faust.StreamT,
        consumer: LedgerConsumer,
        *,
        batch_max: int,
        batch_within: float,
    ) -> None:
        self.app = app
        self.consumer = consumer
        self.ledger: Ledger = consumer.ledger
        self.topic = cast(Any, stream.channel).get_topic_name()
        # what take_events does: iterating the topic registers a channel with the conductor
        self.channel = cast(Any, stream.channel).__aiter__()
        self._adopt_channel()
        self.queue = self.channel.queue
        self.batch_max = batch_max
        self.batch_within = batch_within
        self.busy = False
        self.ledger.topics.add(self.topic)
        consumer.quiescent[self.topic] = self.quiescent

    def _adopt_channel(self) -> None:
        key = (self.app.conf.id, self.topic)
        old = _channels.get(key)
        _channels[key] = self.channel
        if old is None or old is self.channel:
            return
        conductor = cast(Any, self.app.topics)
        conductor._topics.discard(old)
        for channels in conductor._tp_index.values():
            if old in channels:
                channels.discard(old)
                channels.add(self.channel)
        log.warning("%s: the agent was restarted; its new channel replaces the old one", self.topic)

    def quiescent(self) -> bool:
        return not self.busy and self.queue.empty()

    async def take(self) -> list[faust.EventT] | None:
        """The next batch of records to process (at least one), in arrival order; None when
        the agent's stream is stopping."""
        while True:
            try:
                events = await self._next_events()  # busy from its first event on
            except StopAsyncIteration:  # Faust ends the channel when the worker stops
                self.busy = False
                return None
            # records before Faust's seek to the committed offsets settled their partition:
            # learn where the assignment starts first (if the broker does not say, admit
            # skips them; they are read again once the start is known)
            for tp in {event.message.tp for event in events if not self.ledger.is_settled(event.message.tp)}:
                await self.consumer._wf_settle(tp)
            taken: list[faust.EventT] = []
            for event in events:
                tp, offset = event.message.tp, event.message.offset
                if self.ledger.admit(tp, offset) is Verdict.TAKE:
                    taken.append(event)
                else:
                    event.ack()
            if taken:
                return taken
            self.busy = False

    async def _next_events(self) -> list[faust.EventT]:
        """The records queued now (at least one: waits for it), up to ``batch_max``; with
        ``batch_within`` > 0, what arrives within that many seconds too (the default 0: none).
        With 0 a batch is what arrived while the last one ran: batches grow with the load, and
        a record that finds the agent idle goes on at once."""
        queue = self.queue
        events = [await queue.get()]
        # from here on the records are ours, not the queue's: not quiescent while we gather more
        self.busy = True
        self._drain(events)
        if self.batch_within > 0 and len(events) < self.batch_max:
            deadline = asyncio.get_running_loop().time() + self.batch_within
            with contextlib.suppress(TimeoutError):  # the channel's end (StopAsyncIteration) goes up
                async with asyncio.timeout_at(deadline):  # one deadline, not a task per record
                    while len(events) < self.batch_max:
                        events.append(await queue.get())
                        self._drain(events)
        return events

    def _drain(self, events: list[faust.EventT]) -> None:
        queue = self.queue
        while len(events) < self.batch_max:
            try:
                events.append(queue.get_nowait())
            except asyncio.QueueEmpty:
                return

    def complete(self, events: Sequence[faust.EventT]) -> None:
        """Every outcome of ``events`` is stored: they are done."""
        highest: dict[Any, int] = {}
        for event in events:
            tp, offset = event.message.tp, event.message.offset
            highest[tp] = max(highest.get(tp, -1), offset)
        for tp, offset in highest.items():
            self.ledger.complete(tp, offset)
        for event in events:
            event.ack()
        self.busy = False

    def abandon(self, events: Sequence[faust.EventT]) -> None:
        """``events`` will not be finished here: take them again when they are read again."""
        for tp in {event.message.tp for event in events}:
            self.ledger.rewind(tp)
        for event in events:
            event.ack()
        self.busy = False


@dataclass
class Guard:
    """A stage's circuit breaker and what it needs: how to alert, how to restart the stage."""

    breaker: Breaker
    alert: Callable[[str, Breaker, RawDispatch], Awaitable[None]]
    restart: Callable[[], None] = lambda: None


class _Tripped(Exception):
    def __init__(self, record: RawDispatch) -> None:
        super().__init__("circuit breaker open")
        self.record = record


async def serve(
    reader: Reader,
    stage: Stage,
    publisher: Publisher,
    *,
    name: str,
    attempts: int = 5,
    after: Callable[[], Awaitable[None]] | None = None,
    guard: Guard | None = None,
    observe: Observe | None = None,
) -> None:
    """The loop of one agent: batches through ``stage``, published, then done (and ``observe``d)."""
    while True:
        events = await reader.take()
        if events is None:
            return
        try:
            records, per_record = await _handle(
                events, stage, publisher, name=name, attempts=attempts, after=after, guard=guard
            )
        except _Tripped as trip:
            # the batch is not published: it is read again once the stage works again
            reader.abandon(events)
            assert guard is not None
            await _pause(trip.record, stage, guard)
            continue
        except BaseException:
            reader.abandon(events)
            raise
        reader.complete(events)
        if observe is not None:
            observe(records, per_record)


async def _pause(record: RawDispatch, stage: Stage, guard: Guard) -> None:
    """The breaker is open: alert, then probe ``record`` until it no longer fails that way."""
    breaker = guard.breaker
    log.critical(
        "%s paused: most recent records failed as %s (first: %s)", breaker.stage, breaker.opened_by, record.where()
    )
    await guard.alert("breaker-open", breaker, record)
    delays = breaker.probe_delays()
    attempt = 0
    while True:
        await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
        attempt += 1
        guard.restart()  # a fresh stage process: what was fixed meanwhile (a model installed) is loaded
        try:
            (outcomes,) = await stage([record])
        except Exception as exc:
            log.warning("%s: probe %d failed: %r", breaker.stage, attempt, exc)
            continue
        if breaker.still_failing(outcomes):
            log.warning("%s: probe %d: %s still fails the same way", breaker.stage, attempt, record.where())
            continue
        log.warning("%s resumed after %d probes: %s no longer fails as before", breaker.stage, attempt, record.where())
        await guard.alert("breaker-closed", breaker, record)
        breaker.close()
        return


async def _handle(
    events: Sequence[faust.EventT],
    stage: Stage,
    publisher: Publisher,
    *,
    name: str,
    attempts: int,
    after: Callable[[], Awaitable[None]] | None,
    guard: Guard | None = None,
) -> tuple[list[RawDispatch], list[list[Outcome]]]:
    records = [raw_from_event(e) for e in events]
    failures = 0
    while True:
        try:
            per_record = await stage(records)
            if guard is not None:
                tripped = guard.breaker.observe(per_record)
                if tripped is not None:
                    raise _Tripped(records[tripped[1]])
            await publisher.publish([outcome for outcomes in per_record for outcome in outcomes])
            if after is not None:
                await after()
            return records, per_record
        except _Tripped:
            raise
        except BrokerUnavailable as exc:
            await _stop(lifecycle.EXIT_BROKER_UNAVAILABLE, f"{name}: {exc}")
        except PublishFailed as exc:
            await _stop(lifecycle.EXIT_FATAL, f"{name}: {exc}")
        except Exception as exc:
            failures += 1
            where = f"{records[0].where()} .. {records[-1].where()}" if records else "-"
            log.error("%s: a batch of %d (%s) failed (%d/%d): %r", name, len(records), where, failures, attempts, exc)
            log.debug("the failure", exc_info=True)
            if failures >= attempts:
                await _stop(lifecycle.EXIT_FATAL, f"{name}: a batch failed {failures} times; last: {exc!r}")
            await asyncio.sleep(min(0.5 * 2**failures, 10.0))


async def _stop(code: int, reason: str) -> None:
    """Ask the worker to stop and wait here (the batch stays undone) until it does."""
    lifecycle.request_stop(code, reason)
    await asyncio.Event().wait()
