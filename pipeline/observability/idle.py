"""Idle-feed alerts: a source that goes quiet past its cadence is announced on ``wire.alerts``, and again
when it resumes.

    parse-clean ──(per finished batch, per source)──▶ wire.sources ──watch-sources──▶ table "sources"
      (wf_source, else wf_agency; count, arrival times)  (key: source)   (state per source,   │
                                                                          compacted changelog)  │
                                     every WIREFEED_IDLE_CHECK_EVERY s: quiet past cadence? ───┴─▶ wire.alerts

A source's dispatches are spread over every partition of ``wire.raw`` (keyed by story), so no
worker sees all of them: each worker sends a small *sighting* per source per finished batch
(each record's raw partition, offset and arrival time) to ``wire.sources``, keyed by the source, and the worker that
holds the source's partition there keeps its state -- when it was last seen, the gaps between
its deliveries, whether it is idle -- in a Faust table (``SourcesTable``), so the state survives
a restart and moves with the partition. That worker checks its sources on a timer: one quiet
for longer than its cadence gets a ``feed-idle`` alert; its next sighting a ``feed-resumed``
alert (with how long it was quiet). An idle source stays idle across restarts (no second
alert), and still gets its ``feed-resumed``.

Cadence: configured per source (``WIREFEED_IDLE_CADENCES``, "source=seconds"), else learned
from the source's own gaps between deliveries (arrival times, a gap under a second is the same
delivery) once it has ``idle_learn_after`` of them: ``idle_factor`` x their 90th percentile,
at least ``idle_min``. A source with neither is watched but never alerted.

"Quiet" is measured on the watching worker's clock since the last sighting was processed, not
since the record's arrival time: a backlog being worked off is not a quiet feed. Records read
again (delivery is at least once: a restart, a rebalance) are known by their raw offsets: they
neither count twice nor wake an idle source. Sightings are
sent without waiting for the broker's acknowledgement (best effort; the record's own outcome is
what must not be lost): a sighting lost with a worker that crashed is repaired by the next.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import faust
import orjson
from faust.types import TP

from pipeline.records import Outcome, RawDispatch
from pipeline.settings import Settings
from pipeline.stages.outcome import PIPELINE

log = logging.getLogger(__name__)

#: gaps kept per source to learn its cadence
GAPS_KEPT = 32
#: sources watched per worker, at most (a feed sending a new wf_source on every dispatch must not grow it)
MAX_SOURCES = 10_000
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_cadences(values: Iterable[str]) -> dict[str, float]:
    """``("aa-rss=15m", "dpa=300")`` -> seconds per source; ValueError names a wrong entry."""
    out = {}
    for entry in values:
        source, _, raw = entry.rpartition("=")
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", raw)
        if not source.strip() or match is None or float(match[1]) <= 0:
            raise ValueError(f"WIREFEED_IDLE_CADENCES: {entry!r} is not source=seconds (or 90s, 15m, 2h, 1d)")
        out[source.strip()] = float(match[1]) * _UNITS[match[2] or "s"]
    return out


def source_of(record: RawDispatch) -> str | None:
    """The source a raw dispatch is watched as: its feed (wf_source), else its agency.

    A wf_source that is only the dispatch's own file (``wirefeed ingest`` without ``--source``:
    "reut2-000.sgm#17", "dir/item.xml") names no feed, as for learned boilerplate: watching it
    would make every dispatch a source of its own, with a sighting record and a table row each.
    A feed polled by its URL without a name (``wirefeed poll URL``) is watched as its URL.
    """
    feed = record.header("wf_source")
    if feed and (feed != record.header("wf_input") or feed.startswith(("http://", "https://"))):
        return feed
    return record.header("wf_agency") or None


#: a sighting's record: (raw partition, offset, arrival time in ms)
Seen = tuple[int, int, int]


@dataclass(frozen=True)
class Sighting:
    """A source's dispatches in one finished batch of one worker: where each was read and when it arrived.

    The coordinates let the watch tell a record read again (a restart, a rebalance: delivery is
    at least once) from a new one, so a replay neither counts twice nor looks like a feed resuming.
    """

    source: str
    agency: str | None
    records: tuple[Seen, ...]

    def encode(self) -> bytes:
        return orjson.dumps({"source": self.source, "agency": self.agency, "records": self.records})

    @classmethod
    def decode(cls, value: bytes) -> Sighting:
        data = orjson.loads(value)
        records = tuple((int(p), int(o), int(ms)) for p, o, ms in data["records"])
        return cls(str(data["source"]), data.get("agency"), records)


def sightings(records: Sequence[RawDispatch], now_ms: int) -> list[Sighting]:
    """The sightings of a batch of raw records, one per source."""
    found: dict[str, tuple[str | None, list[Seen]]] = {}
    for record in records:
        source = source_of(record)
        if source is None:
            continue
        prov = record.provenance  # None: not read from wire.raw (outside the worker), always new
        seen = (-1, -1, now_ms) if prov is None else (prov.partition, prov.offset, prov.timestamp_ms or now_ms)
        found.setdefault(source[:200], (record.header("wf_agency"), []))[1].append(seen)
    return [Sighting(source, agency, tuple(batch)) for source, (agency, batch) in found.items()]


@dataclass
class SourceState:
    """What the watch knows of one source (the table's value, as JSON)."""

    source: str
    partition: int
    agency: str | None = None
    count: int = 0
    last_seen: float = 0.0  # wall clock (Unix s) when its latest new dispatches were processed
    last_arrival_ms: int = 0  # the newest arrival time of its dispatches
    gaps: list[float] = field(default_factory=list)  # seconds between deliveries, the newest last
    idle_since: float | None = None  # when it was announced idle (Unix s); None: not idle
    read_to: dict[str, int] = field(default_factory=dict)  # raw partition -> highest offset taken

    @property
    def key(self) -> bytes:
        return f"{self.partition}:{self.source}".encode()

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceState:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def seen(self, sighting: Sighting, now: float) -> bool:
        """Take the sighting's new records (not read before); False when it had none (a replay)."""
        new = [r for r in sighting.records if r[0] < 0 or r[1] > self.read_to.get(str(r[0]), -1)]
        if not new:
            return False
        for partition, offset, _ in new:
            if partition >= 0:
                self.read_to[str(partition)] = max(offset, self.read_to.get(str(partition), -1))
        first_ms, last_ms = min(r[2] for r in new), max(r[2] for r in new)
        if self.last_arrival_ms:
            gap = (first_ms - self.last_arrival_ms) / 1000
            if gap >= 1.0:  # a gap under a second is the same delivery
                self.gaps = [*self.gaps, gap][-GAPS_KEPT:]
        self.last_arrival_ms = max(self.last_arrival_ms, last_ms)
        self.last_seen = max(self.last_seen, now)
        self.count += len(new)
        self.agency = sighting.agency or self.agency
        return True


@dataclass(frozen=True)
class Cadence:
    seconds: float | None  # None: not known (no configuration, too few gaps)
    origin: str  # "configured", "learned", "unknown"


@dataclass(frozen=True)
class Policy:
    configured: Mapping[str, float] = field(default_factory=dict)
    learn_after: int = 8
    factor: float = 3.0
    minimum: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            parse_cadences(settings.idle_cadences), settings.idle_learn_after, settings.idle_factor, settings.idle_min
        )

    def cadence(self, state: SourceState) -> Cadence:
        if state.source in self.configured:
            return Cadence(self.configured[state.source], "configured")
        if len(state.gaps) >= self.learn_after:
            ordered = sorted(state.gaps)
            p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
            return Cadence(max(self.minimum, self.factor * p90), "learned")
        return Cadence(None, "unknown")


def alert(kind: str, state: SourceState, cadence: Cadence, now: float, quiet: float) -> dict[str, Any]:
    """The ``wire.alerts`` value (schemas/wire.alerts/value.v2.json) of a source gone idle or resumed."""
    return {
        "type": kind,
        "source": state.source,
        "agency": state.agency,
        "cadence_seconds": round(cadence.seconds or 0.0, 3),
        "cadence_from": cadence.origin,
        "last_seen": _iso(state.last_seen),
        "quiet_seconds": round(max(quiet, 0.0), 3),
        "dispatches": state.count,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "time": _iso(now),
        "pipeline": PIPELINE,
    }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Watch:
    """The sources of the partitions this worker holds: their state (in ``store``) and the alerts due.

    Pure but for ``store`` (the table; a dict in tests): ``seen`` takes a sighting, ``due``
    finds sources gone quiet; both return the alerts to publish and write the new state.
    """

    def __init__(self, policy: Policy, store: Any = None) -> None:
        self.policy = policy
        self.store: Any = {} if store is None else store
        self.sources: dict[str, SourceState] = {}

    def rebuild(self, partitions: Iterable[int]) -> None:
        """Hold the sources of ``partitions`` (after a restart or a rebalance), from the store."""
        wanted = set(partitions)
        self.sources = {}
        for key, value in list(self.store.items()):
            try:
                partition = int(bytes(key).split(b":", 1)[0])
                if partition in wanted and isinstance(value, Mapping):
                    state = SourceState.from_json(value)
                    self.sources[state.source] = state
            except (ValueError, TypeError):
                log.warning("sources table: an unreadable entry %r", key)
        idle = sorted(s for s, st in self.sources.items() if st.idle_since is not None)
        log.info("idle-feed watch: %d sources held, idle: %s", len(self.sources), ", ".join(idle) or "none")

    def seen(self, sighting: Sighting, partition: int, now: float) -> dict[str, Any] | None:
        """Take a sighting; the ``feed-resumed`` alert when it brings new records of an idle source."""
        state = self.sources.get(sighting.source)
        if state is None:
            if len(self.sources) >= MAX_SOURCES:
                return None
            state = self.sources[sighting.source] = SourceState(sighting.source, partition)
        state.partition = partition
        quiet = now - state.last_seen
        if not state.seen(sighting, now):
            return None  # records read again: nothing new from the source
        resumed = None
        if state.idle_since is not None:
            resumed = alert("feed-resumed", state, self.policy.cadence(state), now, quiet)
            state.idle_since = None
        self.store[state.key] = state.as_json()
        return resumed

    def due(self, now: float) -> list[dict[str, Any]]:
        """The ``feed-idle`` alerts of sources quiet past their cadence, not yet announced (marked now)."""
        out = []
        for state in self.sources.values():
            if state.idle_since is not None:
                continue
            cadence = self.policy.cadence(state)
            quiet = now - state.last_seen
            if cadence.seconds is not None and quiet > cadence.seconds:
                out.append(alert("feed-idle", state, cadence, now, quiet))
                state.idle_since = now
                self.store[state.key] = state.as_json()
        return out

    def unmark(self, sources: Iterable[str]) -> None:
        """Take back the idle marks of ``sources`` (their alerts could not be published)."""
        for source in sources:
            state = self.sources.get(source)
            if state is not None and state.idle_since is not None:
                state.idle_since = None
                self.store[state.key] = state.as_json()

    def snapshot(self) -> dict[str, tuple[bool, float | None]]:
        """source -> (idle, cadence seconds) for the metrics."""
        return {s: (st.idle_since is not None, self.policy.cadence(st).seconds) for s, st in list(self.sources.items())}


class SourcesTable(faust.Table):
    """The watch's state: keys b"<partition>:<source>", each written to its partition's changelog
    (also from the timer, outside any event: the partition comes from the key)."""

    watch: Watch | None = None

    def partition_for_key(self, key: Any) -> int | None:
        return int(bytes(key).split(b":", 1)[0])

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        if self.watch is not None:  # active_tps: this table's changelog partitions = wire.sources'
            self.watch.rebuild(tp.partition for tp in active_tps)


def wire(
    app: faust.App,
    topic: faust.TopicT,
    settings: Settings,
    publish: Callable[[list[Outcome]], Any],
    alerts_topic: str,
) -> Callable[[list[RawDispatch], list[list[Outcome]]], None]:
    """Register the watch on ``app`` (table, agent, timer); returns the hook for parse-clean's finished batches."""
    from pipeline.observability import metrics, observer
    from pipeline.tables import CHANGELOG_CONFIG

    watch = Watch(Policy.from_settings(settings))
    table = SourcesTable(
        app,
        name="sources",
        default=None,
        key_type=bytes,
        partitions=settings.partitions,
        beacon=app.tables.beacon,
        extra_topic_configs=CHANGELOG_CONFIG,
        help="idle-feed watch: per source, when it was last seen, its gaps, whether it is idle",
    )
    table = cast(SourcesTable, app.tables.add(table))
    table.watch = watch
    watch.store = table
    observer().sources = watch.snapshot
    sources_topic = settings.topic("wire.sources")

    async def announce(values: list[dict[str, Any]]) -> bool:
        outcomes = [
            Outcome(alerts_topic, v["source"].encode(), orjson.dumps(v), (("content-type", b"application/json"),))
            for v in values
        ]
        try:
            await publish(outcomes)
        except Exception:  # the log line is the alert then
            log.exception("could not publish %d idle-feed alerts", len(outcomes))
            return False
        for value in values:
            metrics.alert(value["type"])
            log.warning(
                "%s: source %s (%s cadence %.0f s, quiet %.0f s)",
                value["type"],
                value["source"],
                value["cadence_from"],
                value["cadence_seconds"],
                value["quiet_seconds"],
            )
        return True

    @app.agent(topic, name="watch-sources")
    async def watch_sources(stream: faust.StreamT) -> None:
        async for event in stream.events():
            try:
                sighting = Sighting.decode(event.value)
                resumed = watch.seen(sighting, event.message.partition, time.time())
            except Exception:  # a record that is no sighting: skipped, the watch goes on
                log.exception("%s[%d]@%d: not a sighting", sources_topic, event.message.partition, event.message.offset)
                continue
            if resumed is not None:
                await announce([resumed])

    @app.timer(settings.idle_check_every)
    async def check_sources() -> None:
        if app.rebalancing:
            return
        due = watch.due(time.time())
        if due and not await announce(due):
            watch.unmark(v["source"] for v in due)  # not announced: due again at the next check

    pending: set[asyncio.Task[Any]] = set()

    def sighted(records: list[RawDispatch], per_record: list[list[Outcome]]) -> None:
        """Send the batch's sightings (without waiting for the acknowledgement: best effort)."""
        for sighting in sightings(records, int(time.time() * 1000)):
            task = asyncio.get_running_loop().create_task(_send(app, sources_topic, sighting))
            pending.add(task)
            task.add_done_callback(pending.discard)

    return sighted


async def _send(app: faust.App, topic: str, sighting: Sighting) -> None:
    try:
        await app.producer.send(topic, sighting.source.encode(), sighting.encode(), None, None, [])
    except Exception:
        log.warning("could not send a sighting of %s", sighting.source, exc_info=True)
